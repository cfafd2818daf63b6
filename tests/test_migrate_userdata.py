"""`python -m analysis migrate-userdata --to postgresql://…`: today's var/userdata into PostgreSQL (issue 26).

It copies every saved scenario and import version (ids, status, rows as stored), is safe to run again (a second
run adds nothing and says "already present"), and refuses on conflicts or a damaged file store, writing nothing.
"""

from __future__ import annotations

import pytest
from import_rows import apply, good_file
from test_imports import snapshot

from analysis import auth, imports, userstore_pg
from analysis import scenario as sc
from analysis.__main__ import main
from analysis.audit import FileAuditLog
from analysis.imports import ImportStore
from analysis.userstore import ScenarioStore, open_scenario_store

TABLES_SQL = (
    "SELECT (SELECT coalesce(string_agg(name || '=' || values_json || '@' || saved_at, '|' ORDER BY name), '') FROM scenarios)"
    " || '#' || (SELECT coalesce(string_agg(version_id || name || status || changed_at || rows_sha256"
    " || encode(sha256(rows_csv), 'hex'), '|' ORDER BY version_id), '') FROM import_versions)"
    " || '#' || (SELECT revision || ':' || last_number FROM import_state)"
)


@pytest.fixture(autouse=True)
def fixture_params(monkeypatch):
    monkeypatch.setattr(sc, "PARAM_MODULES", ("scenario_params_fixture",))


@pytest.fixture
def files(tmp_path, monkeypatch, built_db, db_con, pg_url):
    """A file store as a single server has it today: two scenarios, two import versions (v0001 active, v0003
    rolled back; v0002 and v0004 pruned, so v0004 is the highest number given out), written with ATLAS_USERDATA_URL unset; then the URL is set again."""
    directory = tmp_path / "userdata"
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(directory))
    monkeypatch.setenv("ATLAS_DB_PATH", str(built_db))
    monkeypatch.delenv("ATLAS_USERDATA_URL")
    ScenarioStore(directory).save("Fast inference", {**sc.defaults(), "t_growth": 30.0})
    ScenarioStore(directory).save("保守", sc.defaults())
    for letter in "abcd":
        apply(db_con, good_file(f"test_{letter}_2023_actual"), f"version {letter}")
    ImportStore(directory).rollback("v0002")
    ImportStore(directory).rollback("v0004")
    ImportStore(directory).prune(keep=0)  # v0002 and v0004 go; v0004 stays given out (last_number)
    ImportStore(directory).rollback("v0003")  # kept, rolled back
    monkeypatch.setenv("ATLAS_USERDATA_URL", pg_url)
    return directory


def tables(pg_cluster, url: str) -> str:
    return pg_cluster.psql(TABLES_SQL, url.split("/")[3].split("?")[0])


def test_the_files_move_into_postgresql_once_and_a_second_run_changes_nothing(files, pg_url, pg_cluster, db_con, capsys):
    on_disk = snapshot(files)
    with_files = [(v.version_id, v.name, v.status, v.rows_sha256) for v in ImportStore(files).versions()]
    assert main(["migrate-userdata", "--to", pg_url]) == 0
    err = capsys.readouterr().err
    assert "added: scenario 'Fast inference'" in err and "added: import version v0001 'version a'" in err
    assert "4 added, 0 already present" in err
    assert pg_url not in err, "the URL may hold a password"
    assert open_scenario_store().names() == ["baseline", "Fast inference", "保守"]
    assert open_scenario_store().load("Fast inference")["t_growth"] == 30.0
    store = imports.open_import_store()
    assert [(v.version_id, v.name, v.status, v.rows_sha256) for v in store.versions()] == with_files
    assert sorted(imports.active_imported_figures(db_con)["figure_id"]) == ["test_a_2023_actual"]
    assert imports.store_problem() is None

    before = tables(pg_cluster, pg_url)
    assert main(["migrate-userdata", "--to", pg_url]) == 0
    err = capsys.readouterr().err
    assert "0 added, 4 already present" in err and "already present: scenario '保守'" in err
    assert tables(pg_cluster, pg_url) == before, "a second run changes nothing"
    assert snapshot(files) == on_disk, "the files are read, never changed"
    assert apply(db_con, good_file("test_e_2023_actual")).version_id == "v0005", "v0004 was given out in the files"


def test_a_conflict_moves_nothing_and_keeps_both_sides(files, pg_url, pg_cluster, db_con, capsys):
    open_scenario_store().save("Fast inference", {**sc.defaults(), "t_growth": 12.0})
    apply(db_con, good_file("test_z_2023_actual"), "made in the database")
    on_disk, before = snapshot(files), tables(pg_cluster, pg_url)
    assert main(["migrate-userdata"]) == 1  # --to defaults to ATLAS_USERDATA_URL
    err = capsys.readouterr().err
    assert "conflict: scenario 'Fast inference': the database holds a scenario of this name with other values" in err
    assert "conflict: import version v0001 'version a': the database holds v0001 with other rows or another name" in err
    assert "nothing moved: 2 conflict(s)" in err and "added:" not in err
    assert tables(pg_cluster, pg_url) == before and snapshot(files) == on_disk
    assert open_scenario_store().load("Fast inference")["t_growth"] == 12.0


def test_a_damaged_file_store_is_refused_before_anything_moves(files, pg_url, pg_cluster, capsys):
    (files / "imports" / "v0001.csv").write_text("not,an\nimport\n", encoding="utf-8")
    userstore_pg.migrate(pg_url)
    before = tables(pg_cluster, pg_url)
    assert main(["migrate-userdata", "--to", pg_url]) == 1
    err = capsys.readouterr().err
    assert "nothing moved: the import versions cannot be moved" in err and "repair-store" in err
    assert tables(pg_cluster, pg_url) == before


@pytest.mark.parametrize("to", ["sqlite:///x.db", "var/userdata", ""])
def test_a_target_that_is_not_postgresql_is_a_usage_error(tmp_path, monkeypatch, to, capsys):
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ATLAS_USERDATA_URL", raising=False)
    assert main(["migrate-userdata", "--to", to]) == 2
    assert "must name a PostgreSQL database" in capsys.readouterr().err


def test_an_unreachable_database_moves_nothing_and_names_no_secret(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(userstore_pg, "POOL_TIMEOUT", 1.0)
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(tmp_path / "userdata"))
    ScenarioStore(tmp_path / "userdata").save("kept", sc.defaults())
    on_disk = snapshot(tmp_path / "userdata")
    try:
        code = main(["migrate-userdata", "--to", f"postgresql://secretuser:hunter2@/atlas?host={tmp_path}&port=1"])
    finally:
        userstore_pg.close_pools()
    err = capsys.readouterr().err
    assert code == 1 and "nothing moved: the user-data database cannot be used" in err
    assert "secretuser" not in err and "hunter2" not in err and str(tmp_path) not in err
    assert snapshot(tmp_path / "userdata") == on_disk


def test_owners_shared_flags_and_the_audit_log_move_too_and_only_once(files, pg_url, pg_cluster, capsys):
    alice = auth.Identity(auth.SIGNED_IN, "alice@example.org")
    ScenarioStore(files).save("Alice private", sc.defaults(), actor=alice, shared=False)  # the files, by path
    log = FileAuditLog(files)
    log.record("alice@example.org", "save", "Alice private")
    log.record("local user", "import", "v0001")
    assert main(["migrate-userdata", "--to", pg_url]) == 0
    assert "2 audit-log entries" in capsys.readouterr().err
    dbname = pg_url.split("/")[3].split("?")[0]
    owners = "SELECT string_agg(name || ':' || coalesce(owner, '-') || ':' || shared::text, '|' ORDER BY name) FROM scenarios"
    assert pg_cluster.psql(owners, dbname) == "Alice private:alice@example.org:false|Fast inference:-:true|保守:-:true"
    audit = "SELECT string_agg(actor || ' ' || action || ' ' || target, '|' ORDER BY id) FROM audit_log"
    assert pg_cluster.psql(audit, dbname) == "alice@example.org save Alice private|local user import v0001"
    assert main(["migrate-userdata", "--to", pg_url]) == 0
    assert pg_cluster.psql("SELECT count(*) FROM audit_log", dbname) == "2", "a second run adds no entry twice"
