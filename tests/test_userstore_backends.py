"""The saved-scenario store on both back ends: the files (embedded default) and PostgreSQL (ATLAS_USERDATA_URL).

The `store` fixture is parametrised over "files" and "postgres": every test taking it runs on both. PostgreSQL
is a real server started by tests/pgcluster.py (fixtures `pg_cluster`, `pg_url` in conftest.py); the
tests skip only when the package is not installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
from conftest import PROJECT_ROOT

from analysis import scenario as sc
from analysis import userstore_pg
from analysis.userstore import ScenarioStore, StoreError, open_scenario_store
from analysis.userstore_pg import PostgresScenarioStore

REAL_PARAM_MODULES = sc.PARAM_MODULES


@pytest.fixture(autouse=True)
def fixture_params(monkeypatch):
    monkeypatch.setattr(sc, "PARAM_MODULES", ("scenario_params_fixture",))


@pytest.fixture(params=["files", "postgres"])
def store(request, tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(tmp_path / "userdata"))
    if request.param == "files":
        monkeypatch.delenv("ATLAS_USERDATA_URL", raising=False)
        made = open_scenario_store()
        assert isinstance(made, ScenarioStore)
    else:
        request.getfixturevalue("pg_url")
        made = open_scenario_store()
        assert isinstance(made, PostgresScenarioStore)
    return made


def test_store_saves_loads_lists_and_deletes(store):
    assert store.names() == ["baseline"]
    stored = store.save("  Fast   inference ", {**sc.defaults(), "t_growth": 30.0})
    assert stored == "Fast inference"
    assert store.names() == ["baseline", "Fast inference"]
    assert store.load("Fast inference")["t_growth"] == 30.0
    assert store.load("baseline") == sc.defaults()
    assert store.saved_at("Fast inference").startswith("20")
    store.save("Fast inference", {**sc.defaults(), "t_growth": 31.0})
    assert store.load("Fast inference")["t_growth"] == 31.0
    store.delete("Fast inference")
    assert store.names() == ["baseline"]
    with pytest.raises(KeyError):
        store.load("Fast inference")
    with pytest.raises(KeyError):
        store.delete("Fast inference")
    with pytest.raises(ValueError, match="cannot be deleted"):
        store.delete("baseline")


def test_bad_values_and_names_are_refused_and_change_nothing(store):
    store.save("a", {**sc.defaults(), "t_growth": 20.0})
    with pytest.raises(ValueError, match="t_growth"):
        store.save("b", {**sc.defaults(), "t_growth": 500.0})
    with pytest.raises(ValueError):
        store.save("a", {**sc.defaults(), "t_growth": float("nan")})
    for bad in ("baseline", "x" * 61, "tab\there", ""):
        with pytest.raises(ValueError):
            store.save(bad, sc.defaults())
    assert store.names() == ["baseline", "a"]
    assert store.load("a")["t_growth"] == 20.0


def test_twenty_concurrent_writers_lose_nothing(store):
    names = [f"writer {i:02d}" for i in range(20)]
    errors = []
    barrier = threading.Barrier(len(names))

    def write(index: int, name: str) -> None:
        try:
            barrier.wait()
            store.save(name, {**sc.defaults(), "t_growth": float(index)})
            store.save("shared", {**sc.defaults(), "t_growth": float(index)})
        except Exception as exc:  # a lost write or an error both fail the test below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i, n)) for i, n in enumerate(names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.names() == ["baseline", *sorted([*names, "shared"])]
    assert [store.load(n)["t_growth"] for n in names] == [float(i) for i in range(20)]
    assert store.load("shared")["t_growth"] in {float(i) for i in range(20)}


def test_a_saved_scenario_is_seen_by_a_new_process(store):
    store.save("持久", {**sc.defaults(), "t_horizon": 2027})
    code = (
        "import sys, json; sys.path.insert(0, 'tests');"
        "from analysis import scenario as sc; sc.PARAM_MODULES = ('scenario_params_fixture',);"
        "from analysis.userstore import open_scenario_store;"
        "print(json.dumps(open_scenario_store().load('持久')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True, env=dict(os.environ)
    )
    assert json.loads(out.stdout)["t_horizon"] == 2027


# ---------------------------------------------------------------- PostgreSQL only


def test_the_schema_is_versioned_and_migrating_again_changes_nothing(pg_url, pg_cluster):
    assert userstore_pg.migrate(pg_url) == 0
    assert userstore_pg.migrate(pg_url) == userstore_pg.SCHEMA_VERSION
    dbname = pg_url.split("/")[3].split("?")[0]
    assert pg_cluster.psql("SELECT string_agg(version::text, ',') FROM schema_version", dbname) == ",".join(
        str(version) for version, _ in userstore_pg.MIGRATIONS
    )


def test_servers_starting_together_migrate_once(pg_url, pg_cluster):
    results, errors = [], []

    def start() -> None:
        try:
            results.append(userstore_pg.migrate(pg_url))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and sorted(results) == [0, *[userstore_pg.SCHEMA_VERSION] * 5]


def test_a_newer_schema_is_refused_not_downgraded(pg_url, pg_cluster):
    userstore_pg.migrate(pg_url)
    dbname = pg_url.split("/")[3].split("?")[0]
    pg_cluster.psql("INSERT INTO schema_version (version) VALUES (99)", dbname)
    userstore_pg.close_pools()
    with pytest.raises(StoreError, match="schema version 99"):
        open_scenario_store().names()


def test_a_damaged_row_is_reported_and_the_others_still_work(pg_url, pg_cluster):
    store = open_scenario_store()
    store.save("good", {**sc.defaults(), "t_growth": 25.0})
    dbname = pg_url.split("/")[3].split("?")[0]
    pg_cluster.psql(
        "INSERT INTO scenarios VALUES ('bad json', '{not json', 'x'), ('bad\tname', '{}', 'x'),"
        " ('not a record', '[1, 2]', 'x'), ('deep', repeat('[', 1000) || repeat(']', 1000), 'x')",
        dbname,
    )
    assert store.names() == ["baseline", "good"]
    problems = store.problems()
    assert len(problems) == 4
    assert any("'bad json'" in p and "not readable JSON" in p for p in problems)
    assert any("cannot be a scenario name" in p for p in problems)
    assert any("'not a record' has no values" in p for p in problems)
    assert any("'deep'" in p for p in problems)
    with pytest.raises(StoreError, match="damaged"):
        store.load("bad json")
    assert store.saved_at("bad json") == ""
    store.save("other", sc.defaults())
    assert store.load("good")["t_growth"] == 25.0 and "other" in store.names()


def test_rows_beyond_the_size_bound_are_refused_by_the_database(pg_url, pg_cluster):
    open_scenario_store().names()  # creates the schema
    dbname = pg_url.split("/")[3].split("?")[0]
    with pytest.raises(subprocess.CalledProcessError):
        pg_cluster.psql(f"INSERT INTO scenarios VALUES ('big', repeat('x', {userstore_pg.MAX_VALUES_BYTES + 1}), 'x')", dbname)
    with pytest.raises(subprocess.CalledProcessError):
        pg_cluster.psql(
            f"INSERT INTO scenarios VALUES (repeat('n', {userstore_pg.MAX_NAME_CHARS_STORED + 1}), '{{}}', 'x')", dbname
        )


def test_a_url_that_is_not_postgresql_is_an_error_and_writes_no_files(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(tmp_path / "userdata"))
    monkeypatch.setenv("ATLAS_USERDATA_URL", "mysql://db/atlas")
    store = open_scenario_store()
    with pytest.raises(StoreError, match="PostgreSQL"):
        store.names()
    with pytest.raises(StoreError):
        store.save("mine", sc.defaults())
    assert not (tmp_path / "userdata").exists()


def test_an_unreachable_database_is_a_store_error_naming_no_server_details(tmp_path, monkeypatch):
    monkeypatch.setattr(userstore_pg, "POOL_TIMEOUT", 1.0)
    monkeypatch.setenv("ATLAS_USERDATA_URL", f"postgresql://secretuser:hunter2@/atlas?host={tmp_path}&port=1")
    try:
        with pytest.raises(StoreError) as info:
            open_scenario_store().names()
    finally:
        userstore_pg.close_pools()
    assert "hunter2" not in str(info.value) and str(tmp_path) not in str(info.value)
    assert "secretuser" not in str(info.value)


def test_without_the_url_the_files_are_used(tmp_path, monkeypatch):
    monkeypatch.delenv("ATLAS_USERDATA_URL", raising=False)
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(tmp_path))
    open_scenario_store().save("mine", sc.defaults())
    assert (tmp_path / "scenarios.json").exists()


def test_twenty_writers_in_two_server_processes_lose_nothing(pg_url):
    """Two processes (two app servers, each with its own pool), ten writer threads each, one database."""
    code = (
        "import sys, threading; sys.path.insert(0, 'tests');"
        "from analysis import scenario as sc; sc.PARAM_MODULES = ('scenario_params_fixture',);"
        "from analysis.userstore import open_scenario_store;"
        "store = open_scenario_store(); server = sys.argv[1];"
        "threads = [threading.Thread(target=store.save, args=(f'server {server} writer {i}', sc.defaults()))"
        " for i in range(10)];"
        "[t.start() for t in threads]; [t.join() for t in threads]"
    )
    servers = [
        subprocess.Popen([sys.executable, "-c", code, server], cwd=PROJECT_ROOT, env=dict(os.environ), stderr=subprocess.PIPE)
        for server in ("1", "2")
    ]
    for server in servers:
        assert server.wait() == 0, server.stderr.read().decode()
        server.stderr.close()
    expected = sorted(f"server {s} writer {i}" for s in "12" for i in range(10))
    assert open_scenario_store().names() == ["baseline", *expected]


def test_the_api_lists_and_serves_scenarios_saved_in_postgresql(pg_url, built_db, tmp_path, monkeypatch):
    from starlette.applications import Starlette
    from test_api import AsgiClient

    from analysis.api import Api
    from ui.http_api import routes

    monkeypatch.setenv("ATLAS_DB_PATH", str(built_db))
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(tmp_path / "userdata"))
    monkeypatch.setattr(sc, "PARAM_MODULES", REAL_PARAM_MODULES)  # the API serves the real charts
    PostgresScenarioStore(pg_url).save("牛市 bull case", {"mkt_cagr": 30.0})
    client = AsgiClient(Starlette(routes=routes(Api())))
    listing = client.get("/api/v1/scenarios").json()["scenarios"]
    assert [s["name"] for s in listing] == ["baseline", "牛市 bull case"]
    assert not (tmp_path / "userdata" / "scenarios.json").exists()


def test_the_export_command_reads_a_scenario_saved_in_postgresql(pg_url, built_db, tmp_path, monkeypatch, capsys):
    from analysis import briefing, chartspec
    from analysis.__main__ import main

    monkeypatch.setenv("ATLAS_DB_PATH", str(built_db))
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(tmp_path / "userdata"))
    monkeypatch.setattr(sc, "PARAM_MODULES", (*REAL_PARAM_MODULES, "scenario_params_fixture"))
    monkeypatch.setattr(chartspec, "CHART_MODULES", (*chartspec.CHART_MODULES, "briefing_charts_fixture"))
    values = {**sc.defaults(), "t_growth": 42.0}
    PostgresScenarioStore(pg_url).save("Fast", values)
    out, zip_path = tmp_path / "fast.pptx", tmp_path / "fast.zip"
    args = ["export", "--scenario", "Fast", "--charts", "t-line", "--images", "never"]
    code = main([*args, "--out", str(out), "--zip", str(zip_path)])
    assert code == 0, capsys.readouterr().err
    name, reloaded, _ = briefing.read_scenario_file(zip_path.read_bytes())
    assert (name, reloaded) == ("Fast", values)
