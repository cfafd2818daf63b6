"""The read path: build on demand, rebuild when datasets/ changes, keep the last good build."""

from __future__ import annotations

import pytest
from conftest import set_cell

from analysis.build import BuildError
from analysis.db import ensure_database, query, shared_connection

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
