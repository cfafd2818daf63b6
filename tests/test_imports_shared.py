"""Imported figures shared by every server through PostgreSQL (issue 26, part B): the shared revision, damage
reported and not fatal, and concurrent writers in two processes.

Each "server" here is a process of its own with its own user-data folder (as servers on separate machines have):
only the database joins them, so a test that passes through the files instead fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import PROJECT_ROOT
from import_rows import apply, good_file

from analysis import imports, imports_pg
from analysis.userstore import open_scenario_store

# Run by another process: check and import files, roll back or restore versions, save scenarios, as a second
# app server would. argv[1] is a JSON list of actions; it prints what it did as JSON.
SERVER = """
import json, sys, threading
sys.path.insert(0, "tests")
import duckdb
from analysis import imports, paths
from analysis import scenario as sc
from analysis.userstore import open_scenario_store
from import_rows import good_file

con = duckdb.connect(str(paths.database_path()), read_only=True)
done, errors = [], []

def act(action):
    try:
        if action["do"] == "import":
            check = imports.check_import(con.cursor(), good_file(action["figure_id"]), action["figure_id"] + ".csv")
            done.append(imports.open_import_store().apply(check, action["name"]).version_id)
            if action.get("scenario"):
                done.append(open_scenario_store().save(action["scenario"], sc.defaults()))
        else:
            done.append(getattr(imports.open_import_store(), action["do"])(action["version"]).status)
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")

actions = json.loads(sys.argv[1])
threads = [threading.Thread(target=act, args=(a,)) for a in actions]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({"done": done, "errors": errors}))
"""


@pytest.fixture
def shared(pg_url, tmp_path, monkeypatch, built_db):
    """This process as server A, on PostgreSQL, with its own (empty) user-data folder."""
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(tmp_path / "server-a"))
    monkeypatch.setenv("ATLAS_DB_PATH", str(built_db))
    return pg_url


@pytest.fixture
def frozen_clock(monkeypatch):
    """The clock the revision's once-a-second read goes by, moved on by the test rather than waited for."""
    now = [1000.0]
    monkeypatch.setattr(imports_pg, "_clock", lambda: now[0])

    def tick(seconds: float = imports_pg.REVISION_SECONDS) -> None:
        now[0] += seconds

    return tick


def other_server(tmp_path, *actions: dict) -> dict:
    """Run the actions in a second process, with a user-data folder of its own; its result."""
    env = dict(os.environ, ATLAS_USER_DATA_DIR=str(tmp_path / f"server-b-{len(list(tmp_path.glob('server-b-*')))}"))
    out = subprocess.run(
        [sys.executable, "-c", SERVER, json.dumps(list(actions))],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


def test_an_import_and_a_rollback_through_another_server_reach_this_ones_figures(shared, tmp_path, db_con, frozen_clock):
    assert imports.revision() == 0 and imports.active_imported_figures(db_con).empty
    made = other_server(tmp_path, {"do": "import", "figure_id": "test_shipments_2023_actual", "name": "from B"})
    assert made == {"done": ["v0001"], "errors": []}
    # At most one revision query a second per process: until then this server draws what it drew.
    assert imports.revision() == 0
    frozen_clock()
    assert imports.revision() == 1
    assert imports.store_problem() is None
    figures = imports.active_imported_figures(db_con)
    assert list(figures["figure_id"]) == ["test_shipments_2023_actual"] and list(figures["version_name"]) == ["from B"]
    assert "test_shipments_2023_actual" in set(imports.figures_with_imports(db_con, "both")["figure_id"])

    assert other_server(tmp_path, {"do": "rollback", "version": "v0001"}) == {"done": ["rolled_back"], "errors": []}
    frozen_clock()
    assert imports.revision() == 2
    assert imports.active_imported_figures(db_con).empty


def test_this_servers_own_import_shows_at_once(shared, db_con, frozen_clock):
    assert imports.revision() == 0
    apply(db_con, good_file(), "mine")
    assert imports.revision() == 1, "a write of this process is read back without waiting for the next second"
    assert list(imports.active_imported_figures(db_con)["figure_id"]) == ["test_shipments_2023_actual"]


def test_a_damaged_version_is_reported_and_left_out_and_the_others_still_show(shared, db_con, pg_cluster, frozen_clock):
    apply(db_con, good_file("test_a_2023_actual"), "a")
    apply(db_con, good_file("test_b_2023_actual"), "b")
    apply(db_con, good_file("test_c_2023_actual"), "c")
    dbname = shared.split("/")[3].split("?")[0]
    pg_cluster.psql(
        "UPDATE import_versions SET rows_csv = convert_to('not,an\nimport', 'UTF8') WHERE version_id = 'v0001'", dbname
    )
    pg_cluster.psql("UPDATE import_versions SET name = E'c\\u202ed' WHERE version_id = 'v0003'", dbname)
    frozen_clock()
    damaged = imports.store_problem()
    assert damaged is not None and len(damaged.problems) == 2
    assert "import version v0001" in damaged.problems[0] and "v0003" in damaged.problems[1]
    assert list(imports.active_imported_figures(db_con)["figure_id"]) == ["test_b_2023_actual"]
    # Not fatal: the store still takes an import beside the damaged versions (repair-store moves them out).
    assert apply(db_con, good_file("test_d_2023_actual"), "d").version_id == "v0004"
    assert sorted(imports.active_imported_figures(db_con)["figure_id"]) == ["test_b_2023_actual", "test_d_2023_actual"]
    store = imports.open_import_store()
    with pytest.raises(imports.StoreError, match="v0001"):
        store.rows("v0001", store.versions()[0].rows_sha256)


def test_repair_store_moves_damaged_versions_out_of_the_database_into_a_backup(
    shared, db_con, pg_cluster, tmp_path, capsys, frozen_clock
):
    from analysis.__main__ import main

    for letter in "abc":
        apply(db_con, good_file(f"test_{letter}_2023_actual"), letter)
    dbname = shared.split("/")[3].split("?")[0]
    pg_cluster.psql(
        "UPDATE import_versions SET rows_csv = convert_to('not,an\nimport', 'UTF8') WHERE version_id = 'v0003'", dbname
    )
    frozen_clock()
    assert "v0003" in str(imports.store_problem())
    assert main(["repair-store"]) == 0
    err = capsys.readouterr().err
    assert "moved the damaged import version 'v0003' out of the database" in err and shared not in err
    [backup] = (tmp_path / "server-a" / "backups").glob("repair-*/database-imports")
    assert (backup / "v0003.csv").read_bytes() == b"not,an\nimport"
    assert json.loads((backup / "v0003.json").read_text(encoding="utf-8"))["name"] == "c"
    assert imports.store_problem() is None
    assert [v.version_id for v in imports.open_import_store().versions()] == ["v0001", "v0002"]
    assert sorted(imports.active_imported_figures(db_con)["figure_id"]) == ["test_a_2023_actual", "test_b_2023_actual"]
    assert apply(db_con, good_file("test_d_2023_actual"), "d").version_id == "v0004", "v0003 is not given out again"
    assert main(["repair-store"]) == 0
    assert "sound; nothing to repair" in capsys.readouterr().err


def test_twenty_concurrent_writers_in_two_processes_lose_nothing(shared, tmp_path, db_con, frozen_clock):
    """Ten threads in each of two server processes import a file and save a scenario at once."""
    from concurrent.futures import ThreadPoolExecutor

    def batch(server: str) -> list[dict]:
        return [
            {"do": "import", "figure_id": f"test_{server}{i}_2023_actual", "name": f"{server} {i}", "scenario": f"{server} {i}"}
            for i in range(10)
        ]

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda server: other_server(tmp_path, *batch(server)), ["a", "b"]))
    assert [r["errors"] for r in results] == [[], []]
    store = imports.open_import_store()
    versions = store.versions()
    assert [v.version_id for v in versions] == [f"v{n:04d}" for n in range(1, 21)]
    assert sorted(v.name for v in versions) == sorted(f"{s} {i}" for s in "ab" for i in range(10))
    frozen_clock()
    assert imports.revision() == 20 and imports.store_problem() is None
    expected = sorted(f"test_{s}{i}_2023_actual" for s in "ab" for i in range(10))
    assert sorted(imports.active_imported_figures(db_con)["figure_id"]) == expected
    assert open_scenario_store().names() == ["baseline", *sorted(f"{s} {i}" for s in "ab" for i in range(10))]


def test_the_figures_page_shows_an_import_made_through_another_server(shared, tmp_path, built_db, frozen_clock):
    """The page's cached table is keyed by the shared revision: a rerun after another server's import shows it."""
    from conftest import isolated_app, open_app_page

    def shown(at) -> str:
        return " ".join(frame.value.to_csv() for frame in at.dataframe)

    with isolated_app(built_db, tmp_path / "server-a"):
        at = open_app_page("pages/figures.py", "en", timeout=60)
        assert not at.exception and "Test source, not a real publication" not in shown(at)
        made = other_server(tmp_path, {"do": "import", "figure_id": "test_shipments_2023_actual", "name": "from B"})
        assert made["errors"] == []
        frozen_clock()
        at.run()
        assert not at.exception
        assert "Test source, not a real publication" in shown(at)


def test_the_imports_page_imports_into_the_database_not_onto_this_servers_disk(shared, tmp_path, built_db):
    from conftest import isolated_app, open_app_page

    with isolated_app(built_db, tmp_path / "server-a"):
        at = open_app_page("pages/imports.py", "en", timeout=60)
        at.get("file_uploader")[0].set_value(("actuals.csv", good_file(), "text/csv"))
        at.run()
        next(b for b in at.button if b.key.startswith("FormSubmitter:imports.apply_form")).click()
        at.run()
        assert not at.exception and not at.error
    assert [(v.version_id, v.name) for v in imports.open_import_store().versions()] == [("v0001", "actuals")]
    assert not (tmp_path / "server-a" / "imports").exists()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_damaged_version_in_the_database_is_one_warning_saying_the_rest_still_shows(
    shared, tmp_path, built_db, db_con, pg_cluster, frozen_clock, lang
):
    from conftest import isolated_app, open_app_page

    from analysis.i18n import t

    apply(db_con, good_file("test_a_2023_actual"), "a")
    pg_cluster.psql(
        "UPDATE import_versions SET row_count = row_count, name = 'x' || chr(8238)", shared.split("/")[3].split("?")[0]
    )
    frozen_clock()
    with isolated_app(built_db, tmp_path / "server-a"):
        at = open_app_page("pages/imports.py", lang, timeout=60)
    assert not at.exception
    expected = t("frame.import_versions_left_out", lang, detail="")
    assert [w.value for w in at.warning if w.value.startswith(expected)], [w.value for w in at.warning]


def test_an_unusable_user_data_database_is_one_warning_naming_no_server_detail(tmp_path, monkeypatch, built_db):
    from conftest import isolated_app, open_app_page

    from analysis import userstore_pg
    from analysis.i18n import t

    monkeypatch.setattr(userstore_pg, "POOL_TIMEOUT", 1.0)
    monkeypatch.setenv("ATLAS_USERDATA_URL", f"postgresql://secretuser:hunter2@/atlas?host={tmp_path}&port=1")
    try:
        with isolated_app(built_db, tmp_path / "server-a"):
            at = open_app_page("pages/imports.py", "en", timeout=60)
    finally:
        userstore_pg.close_pools()
    assert not at.exception
    shown = " ".join(w.value for w in at.warning)
    assert t("frame.userdata_db_unusable", "en", detail="") in shown
    assert "secretuser" not in shown and "hunter2" not in shown and str(tmp_path) not in shown


def test_an_unusable_database_is_asked_once_a_second_not_on_every_call(monkeypatch, frozen_clock):
    """Each attempt waits for the pool's timeout: a page asks for the revision several times, and waits once."""
    from contextlib import contextmanager

    attempts = []

    @contextmanager
    def unusable(url):
        attempts.append(url)
        raise imports.StoreError("the user-data database cannot be used (OperationalError)", [])
        yield

    monkeypatch.setattr(imports_pg, "connected", unusable)
    monkeypatch.setattr(imports_pg, "_signatures", {})
    monkeypatch.setenv("ATLAS_USERDATA_URL", "postgresql://nobody@/nowhere")
    assert [imports.revision(), imports.revision()] == [-1, -1]
    assert "cannot be used" in str(imports.store_problem()) and imports.readable_active_rows().empty
    assert len(attempts) == 1
    frozen_clock()
    assert imports.revision() == -1 and len(attempts) == 2


def test_a_server_killed_in_the_middle_of_an_import_leaves_nothing_behind(shared, tmp_path, db_con):
    """The version row is written, then the process is killed (SIGKILL) before its transaction commits."""
    code = """
import os, signal, sys
sys.path.insert(0, "tests")
import duckdb
from analysis import imports, imports_pg, paths
from import_rows import good_file

con = duckdb.connect(str(paths.database_path()), read_only=True)
check = imports.check_import(con, good_file(), "killed.csv")
imports_pg._bump = lambda conn, number=0: os.kill(os.getpid(), signal.SIGKILL)
imports.open_import_store().apply(check, "killed")
"""
    env = dict(os.environ, ATLAS_USER_DATA_DIR=str(tmp_path / "server-b"))
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == -9, out.stderr[-2000:]
    store = imports.open_import_store()
    assert store.versions() == [] and store.revision() == 0 and imports.store_problem() is None
    assert apply(db_con, good_file(), "after").version_id == "v0001"


def test_the_command_line_imports_lists_and_rolls_back_in_the_database(shared, tmp_path, capsys):
    from analysis.__main__ import main

    path = tmp_path / "actuals.csv"
    path.write_bytes(good_file())
    assert main(["import", str(path), "--name", "2023 actuals"]) == 0
    assert main(["versions"]) == 0
    assert "v0001,2023 actuals,actuals.csv,1," in capsys.readouterr().out
    assert main(["rollback", "v0001"]) == 0 and main(["prune-imports", "--keep", "0"]) == 0
    assert "removed v0001 '2023 actuals'" in capsys.readouterr().err
    assert imports.open_import_store().versions() == []
    assert not (tmp_path / "server-a" / "imports").exists()


def test_a_rolled_back_version_is_read_again_only_when_its_row_changed(shared, db_con, pg_cluster, monkeypatch, frozen_clock):
    """As the file store reads a file again only when it changed: an import reads the active versions' rows and the
    new one's, not every rolled-back version's (up to the quota's 100 MB) on every server."""
    apply(db_con, good_file("test_a_2023_actual"), "a")
    apply(db_con, good_file("test_b_2023_actual"), "b")
    imports.open_import_store().rollback("v0001")
    assert imports.store_problem() is None
    read = []
    real = imports_pg._row_check
    monkeypatch.setattr(
        imports_pg, "_row_check", lambda version, payload: read.append(version.version_id) or real(version, payload)
    )
    apply(db_con, good_file("test_c_2023_actual"), "c")
    assert imports.store_problem() is None and read == ["v0002", "v0003"]
    pg_cluster.psql(
        "UPDATE import_versions SET rows_csv = convert_to('x', 'UTF8') WHERE version_id = 'v0001'",
        shared.split("/")[3].split("?")[0],
    )
    frozen_clock()
    assert "v0001" in str(imports.store_problem()) and read[2:] == ["v0001", "v0002", "v0003"]
