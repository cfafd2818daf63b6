"""The read path: build on demand, rebuild when datasets/ changes, keep the last good build."""

from __future__ import annotations

import os
import time

import pytest
from conftest import set_cell

from analysis import db
from analysis.build import BuildError
from analysis.buildstamp import stamp_path, verified_build
from analysis.db import DatabaseDamaged, connect_readonly, ensure_database, query, shared_connection

SQL_VALUE = "SELECT value FROM figures WHERE figure_id = ?"


def value_of(con, figure_id: str) -> float:
    return float(query(con, SQL_VALUE, [figure_id])["value"].iloc[0])


def test_builds_when_missing_then_reuses(datasets_copy, tmp_path):
    db_path = tmp_path / "atlas.duckdb"
    first = ensure_database(datasets_copy, db_path)
    assert first.rebuilt and db_path.exists() and first.problem is None
    second = ensure_database(datasets_copy, db_path)
    assert not second.rebuilt
    assert second.datasets_hash == first.datasets_hash


def test_rebuild_is_visible_to_the_shared_connection(datasets_copy, tmp_path):
    db_path = tmp_path / "atlas.duckdb"
    status = ensure_database(datasets_copy, db_path)
    con = shared_connection(db_path, status.datasets_hash)
    # 1750亿参数, the report's GPT-3 size (「AIGC潮起…」).
    assert value_of(con, "gpt3_parameters") == 1750
    set_cell(datasets_copy / "figures.csv", "figure_id", "gpt3_parameters", "value", "1751")
    changed = ensure_database(datasets_copy, db_path)
    assert changed.rebuilt and changed.datasets_hash != status.datasets_hash
    assert value_of(shared_connection(db_path, changed.datasets_hash), "gpt3_parameters") == 1751


def test_bad_edit_keeps_last_good_build_and_reports_it(datasets_copy, tmp_path):
    db_path = tmp_path / "atlas.duckdb"
    good = ensure_database(datasets_copy, db_path)
    before = db_path.read_bytes()
    line = set_cell(datasets_copy / "figures.csv", "figure_id", "gpt3_parameters", "value", "lots")
    stale = ensure_database(datasets_copy, db_path)
    assert stale.stale and not stale.rebuilt
    assert stale.datasets_hash == good.datasets_hash
    assert any(p.line == line and p.column == "value" for p in stale.problem.problems)
    assert db_path.read_bytes() == before


def test_bad_data_and_no_database_raises(datasets_copy, tmp_path):
    set_cell(datasets_copy / "figures.csv", "figure_id", "gpt3_parameters", "unit", "furlongs")
    with pytest.raises(BuildError, match="unknown unit 'furlongs'"):
        ensure_database(datasets_copy, tmp_path / "atlas.duckdb")
    assert not (tmp_path / "atlas.duckdb").exists()


def test_query_binds_parameters(built_db):
    con = shared_connection(built_db, "session-build")
    injected = query(con, SQL_VALUE, ["x' OR '1'='1"])
    assert injected.empty


@pytest.mark.parametrize("damage", ["overwrite", "truncate"])
def test_a_damaged_database_file_is_noticed_with_a_connection_open_and_rebuilt(datasets_copy, tmp_path, damage):
    db_path = tmp_path / "atlas.duckdb"
    good = ensure_database(datasets_copy, db_path)
    con = shared_connection(db_path, good.cache_key)  # DuckDB's in-process cache would answer for the old file
    assert value_of(con, "gpt3_parameters") == 1750
    size = db_path.stat().st_size
    with open(db_path, "r+b") as handle:
        if damage == "truncate":
            handle.truncate(size // 3)
        else:
            handle.seek(size // 2)
            handle.write(os.urandom(64 * 1024))
    healed = ensure_database(datasets_copy, db_path)
    assert healed.rebuilt and healed.problem is None
    assert healed.datasets_hash == good.datasets_hash and healed.cache_key != good.cache_key
    assert value_of(shared_connection(db_path, healed.cache_key), "gpt3_parameters") == 1750
    assert not ensure_database(datasets_copy, db_path).rebuilt


def test_an_unchanged_build_is_not_rebuilt_and_a_touched_file_is_checked_by_content(datasets_copy, tmp_path):
    db_path = tmp_path / "atlas.duckdb"
    first = ensure_database(datasets_copy, db_path)
    os.utime(db_path)  # same bytes, new mtime: the sha256 decides
    second = ensure_database(datasets_copy, db_path)
    assert not second.rebuilt and second.cache_key == first.cache_key


def test_build_command_skips_an_up_to_date_database(datasets_copy, tmp_path, capsys):
    from analysis.__main__ import main

    out = tmp_path / "atlas.duckdb"
    assert main(["build", "--datasets", str(datasets_copy), "--out", str(out)]) == 0
    mtime = out.stat().st_mtime_ns
    capsys.readouterr()
    assert main(["build", "--datasets", str(datasets_copy), "--out", str(out)]) == 0
    assert "up to date" in capsys.readouterr().err and out.stat().st_mtime_ns == mtime
    set_cell(datasets_copy / "figures.csv", "figure_id", "gpt3_parameters", "value", "1751")
    assert main(["build", "--datasets", str(datasets_copy), "--out", str(out)]) == 0
    assert out.stat().st_mtime_ns != mtime


# ---------------------------------------------------------------- issue 28 (7): damage that keeps size and mtime


def damage_in_place(db_path, start_fraction: float | None = None) -> None:
    """Overwrite the file from `start_fraction` of its size (None: just after DuckDB's header) with random
    bytes, then set its mtime back: the size and mtime the stamp recorded still match."""
    info = db_path.stat()
    start = 3 * 4096 if start_fraction is None else int(info.st_size * start_fraction)
    with open(db_path, "r+b") as handle:
        handle.seek(start)
        handle.write(os.urandom(info.st_size - start))
    os.utime(db_path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert db_path.stat().st_size == info.st_size and db_path.stat().st_mtime_ns == info.st_mtime_ns


def test_in_place_damage_is_found_at_a_process_first_check_and_rebuilt(datasets_copy, tmp_path, monkeypatch):
    db_path = tmp_path / "atlas.duckdb"
    good = ensure_database(datasets_copy, db_path)
    damage_in_place(db_path)
    monkeypatch.setattr(db, "_last_full_check", {})  # as a new server process finds it
    healed = ensure_database(datasets_copy, db_path)
    assert healed.rebuilt and healed.cache_key != good.cache_key
    assert value_of(shared_connection(db_path, healed.cache_key), "gpt3_parameters") == 1750


def test_in_place_damage_is_found_on_the_schedule(datasets_copy, tmp_path, monkeypatch):
    db_path = tmp_path / "atlas.duckdb"
    ensure_database(datasets_copy, db_path)
    damage_in_place(db_path)
    assert not ensure_database(datasets_copy, db_path).rebuilt, "between scheduled checks: size and mtime only"
    later = time.monotonic() + db.VERIFY_INTERVAL_S + 1
    monkeypatch.setattr(db.time, "monotonic", lambda: later)
    assert ensure_database(datasets_copy, db_path).rebuilt


def test_a_query_that_meets_a_corrupt_file_reports_it_and_the_next_check_rebuilds(datasets_copy, tmp_path):
    db_path = tmp_path / "atlas.duckdb"
    ensure_database(datasets_copy, db_path)
    damage_in_place(db_path, 0.5)
    met = []
    try:
        con = connect_readonly(db_path)
        for table in ("figures", "sources", "metrics", "entities", "units"):
            try:
                query(con, f'SELECT * FROM "{table}"')  # every block of every table
            except DatabaseDamaged:
                met.append(table)
        con.close()
    except DatabaseDamaged:
        met.append("connect")
    assert met, "some block holds random bytes"
    healed = ensure_database(datasets_copy, db_path)
    assert healed.rebuilt
    assert value_of(shared_connection(db_path, healed.cache_key), "gpt3_parameters") == 1750


def test_build_command_checks_the_content_before_saying_up_to_date(datasets_copy, tmp_path, capsys):
    from analysis.__main__ import main

    out = tmp_path / "atlas.duckdb"
    assert main(["build", "--datasets", str(datasets_copy), "--out", str(out)]) == 0
    damage_in_place(out)
    capsys.readouterr()
    assert main(["build", "--datasets", str(datasets_copy), "--out", str(out)]) == 0
    assert "up to date" not in capsys.readouterr().err
    assert verified_build(out, full=True) is not None


def test_a_build_stamp_nested_deep_reads_as_no_stamp(datasets_copy, tmp_path):
    db_path = tmp_path / "atlas.duckdb"
    ensure_database(datasets_copy, db_path)
    stamp_path(db_path).write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert verified_build(db_path) is None
    assert ensure_database(datasets_copy, db_path).rebuilt


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_page_over_a_database_damaged_in_place_rebuilds_it_and_says_so_quietly(datasets_copy, tmp_path, monkeypatch, lang):
    from conftest import isolated_app, open_app_page

    from analysis.i18n import t

    db_path = tmp_path / "atlas.duckdb"
    monkeypatch.setenv("ATLAS_DATASETS_DIR", str(datasets_copy))
    good = ensure_database(datasets_copy, db_path)  # this process has checked it: the next check is by size and mtime
    damage_in_place(db_path)
    with isolated_app(db_path, tmp_path / "userdata"):
        at = open_app_page(None, lang, timeout=120)
    assert not at.exception
    assert t("frame.database_rebuilt", lang) in [i.value for i in at.info]
    assert at.markdown, "the page is drawn from the rebuilt file"
    assert verified_build(db_path, full=True)[1] != good.build_id


def test_the_api_answers_a_json_503_over_a_damaged_database_then_recovers(datasets_copy, tmp_path, monkeypatch):
    from starlette.applications import Starlette
    from test_api import AsgiClient

    from analysis.api import Api
    from ui.http_api import routes

    db_path = tmp_path / "atlas.duckdb"
    monkeypatch.setenv("ATLAS_DATASETS_DIR", str(datasets_copy))
    monkeypatch.setenv("ATLAS_DB_PATH", str(db_path))
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(tmp_path / "userdata"))
    ensure_database(datasets_copy, db_path)
    damage_in_place(db_path)
    client = AsgiClient(Starlette(routes=routes(Api())))
    damaged = client.get("/api/v1/figures.csv")
    assert damaged.status_code == 503 and damaged.headers["retry-after"]
    assert damaged.headers["content-type"].startswith("application/json")
    assert damaged.json()["error"]["code"] == "database_damaged"
    assert str(tmp_path) not in damaged.content.decode()
    again = client.get("/api/v1/figures.csv")
    assert again.status_code == 200
