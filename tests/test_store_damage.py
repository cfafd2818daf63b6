"""A damaged user-data store: refused on read, never written, never made worse, and repaired with a backup."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT
from import_rows import apply, good_file

from analysis import imports
from analysis.__main__ import main
from analysis.i18n import t
from analysis.imports import ImportStore, store_problem
from analysis.repair import repair_store
from analysis.userstore import ScenarioStore, StoreError, remove_stale_temp_files


@pytest.fixture
def store_dir(tmp_path, monkeypatch, built_db) -> Path:
    directory = tmp_path / "userdata"
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(directory))
    monkeypatch.setenv("ATLAS_DB_PATH", str(built_db))
    return directory


def manifest(store_dir: Path) -> Path:
    return store_dir / "imports" / "versions.json"


def edit_manifest(store_dir: Path, change) -> bytes:
    body = json.loads(manifest(store_dir).read_text(encoding="utf-8"))
    change(body)
    payload = json.dumps(body).encode()
    manifest(store_dir).write_bytes(payload)
    return payload


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and "backups" not in p.parts and p.suffix != ".lock"
    }


DAMAGE = {
    "revision_text": lambda b: b.update(revision="abc"),
    "created_at_number": lambda b: b["versions"][0].update(created_at=5),
    "entry_is_a_string": lambda b: b["versions"].append("v0002"),
    "row_count_bool": lambda b: b["versions"][0].update(row_count=True),
    "unknown_status": lambda b: b["versions"][0].update(status="deleted"),
    "path_in_version_id": lambda b: b["versions"][0].update(version_id="../../etc/passwd"),
    "duplicate_id": lambda b: b["versions"].append(dict(b["versions"][0])),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_a_damaged_manifest_is_refused_everywhere_and_never_written(db_con, store_dir, case, capsys):
    apply(db_con, good_file())
    edit_manifest(store_dir, DAMAGE[case])
    before = snapshot(store_dir)
    with pytest.raises(StoreError) as excinfo:
        ImportStore().versions()
    assert str(store_dir) not in str(excinfo.value), "no server path in the message"
    assert store_problem() is not None
    # Readers keep working with the report's figures alone.
    assert imports.active_imported_figures(db_con).empty
    assert imports.revision() == -1
    with pytest.raises(StoreError):
        apply(db_con, good_file("test_other_2023_actual"))
    assert main(["rollback", "v0001"]) == 1
    assert main(["versions"]) == 1
    assert "Traceback" not in capsys.readouterr().err
    assert snapshot(store_dir) == before


def test_a_missing_rows_file_is_reported_not_raised(db_con, store_dir):
    apply(db_con, good_file())
    (store_dir / "imports" / "v0001.csv").unlink()
    assert "v0001.csv is missing" in str(store_problem())
    assert imports.active_imported_figures(db_con).empty


def test_a_version_id_cannot_reach_outside_the_store(store_dir):
    with pytest.raises(KeyError):
        ImportStore().rows("../../etc/passwd")


def test_a_manifest_that_lost_an_entry_never_lets_an_import_overwrite_a_rows_file(db_con, store_dir):
    apply(db_con, good_file(), "first")
    apply(db_con, good_file("test_second_2023_actual"), "second")
    kept = (store_dir / "imports" / "v0002.csv").read_bytes()
    edit_manifest(store_dir, lambda b: b["versions"].pop())
    version = apply(db_con, good_file("test_third_2023_actual"), "third")
    assert version.version_id == "v0003"
    assert (store_dir / "imports" / "v0002.csv").read_bytes() == kept


def test_temp_files_of_killed_writes_are_removed_at_start_up(db_con, store_dir):
    apply(db_con, good_file())
    ScenarioStore().save("mine", {})
    left = [store_dir / ".scenarios.json.x1.tmp", store_dir / "imports" / ".versions.json.x2.tmp"]
    for path in left:
        path.write_bytes(b"half")
    assert sorted(p.name for p in remove_stale_temp_files()) == sorted(p.name for p in left)
    assert not any(p.exists() for p in left)
    assert ImportStore().versions() and ScenarioStore().names() == ["baseline", "mine"]


def test_repair_keeps_a_backup_fixes_what_it_can_and_explains(db_con, store_dir):
    apply(db_con, good_file(), "first")
    apply(db_con, good_file("test_second_2023_actual"), "second")
    apply(db_con, good_file("test_third_2023_actual"), "third")
    damaged = edit_manifest(
        store_dir,
        lambda b: (
            b.update(revision="abc"),
            b["versions"][0].update(created_at=5, status="??"),
            b["versions"].pop(),  # v0003 lost from the manifest; its rows file is still there
            b["versions"].append("junk"),
        ),
    )
    report = repair_store()
    assert report.backup is not None
    assert (report.backup / "imports" / "versions.json").read_bytes() == damaged
    text = "\n".join(report.actions)
    assert "entry 3: dropped, it was not a record" in text
    assert "v0003.csv was not listed" in text
    assert "created_at" in text and "status" in text
    versions = {v.version_id: v for v in ImportStore().versions()}
    assert sorted(versions) == ["v0001", "v0002", "v0003"]
    assert versions["v0001"].status == "rolled_back" and versions["v0002"].status == "active"
    assert versions["v0003"].name == "recovered v0003" and versions["v0003"].status == "rolled_back"
    assert store_problem() is None
    assert repair_store().actions == [], "a sound store is left alone"


def test_repair_of_an_unreadable_scenario_file_starts_afresh_and_keeps_the_old_one(store_dir):
    store_dir.mkdir(parents=True)
    (store_dir / "scenarios.json").write_bytes(b"{not json")
    with pytest.raises(StoreError):
        ScenarioStore().names()
    report = repair_store()
    assert (report.backup / "scenarios.json").read_bytes() == b"{not json"
    assert ScenarioStore().names() == ["baseline"]


def test_a_scenario_entry_of_the_wrong_shape_is_refused_then_repaired(store_dir):
    ScenarioStore().save("good", {})
    path = store_dir / "scenarios.json"
    body = json.loads(path.read_text(encoding="utf-8"))
    body["scenarios"]["bad"] = "not a record"
    path.write_text(json.dumps(body), encoding="utf-8")
    with pytest.raises(StoreError, match="scenario 'bad' has no values"):
        ScenarioStore().names()
    with pytest.raises(StoreError):
        ScenarioStore().save("other", {})
    report = repair_store()
    assert any("'bad'" in a for a in report.actions)
    assert ScenarioStore().names() == ["baseline", "good"]


def test_repair_store_command_explains_and_exits_0(db_con, store_dir, capsys):
    apply(db_con, good_file())
    edit_manifest(store_dir, DAMAGE["created_at_number"])
    assert main(["repair-store"]) == 0
    err = capsys.readouterr().err
    assert "created_at" in err and "kept in" in err
    assert main(["versions"]) == 0
    assert os.environ["ATLAS_USER_DATA_DIR"] == str(store_dir)


# ---------------------------------------------------------------- issue 28 (6): files no JSON parser should take whole

DEEP = "[" * 100_000 + "]" * 100_000
HUGE_INT = "9" * 5_000
HOSTILE_SCENARIOS = {
    "deep": DEEP,
    "huge_int": '{"format": "compute-atlas-scenarios", "version": ' + HUGE_INT + ', "scenarios": {}}',
}
HOSTILE_MANIFESTS = {
    "deep": DEEP,
    "huge_int": '{"format": "compute-atlas-imports", "revision": ' + HUGE_INT + ', "versions": []}',
}


@pytest.mark.parametrize("case", sorted(HOSTILE_SCENARIOS))
def test_a_hostile_scenario_file_is_a_store_error_and_repair_keeps_it(store_dir, case):
    store_dir.mkdir(parents=True)
    hostile = HOSTILE_SCENARIOS[case].encode()
    (store_dir / "scenarios.json").write_bytes(hostile)
    with pytest.raises(StoreError) as excinfo:
        ScenarioStore().names()
    assert str(store_dir) not in str(excinfo.value)
    with pytest.raises(StoreError):
        ScenarioStore().save("mine", {})
    assert (store_dir / "scenarios.json").read_bytes() == hostile, "never overwritten silently"
    report = repair_store()
    assert (report.backup / "scenarios.json").read_bytes() == hostile
    assert ScenarioStore().names() == ["baseline"]


@pytest.mark.parametrize("case", sorted(HOSTILE_MANIFESTS))
def test_a_hostile_manifest_is_reported_not_raised_and_repair_keeps_it(db_con, store_dir, case):
    apply(db_con, good_file())
    hostile = HOSTILE_MANIFESTS[case].encode()
    manifest(store_dir).write_bytes(hostile)
    assert isinstance(store_problem(), StoreError)
    assert imports.revision() == -1
    assert imports.active_imported_figures(db_con).empty
    with pytest.raises(StoreError):
        apply(db_con, good_file("test_other_2023_actual"))
    assert manifest(store_dir).read_bytes() == hostile
    report = repair_store()
    assert (report.backup / "imports" / "versions.json").read_bytes() == hostile
    assert [v.version_id for v in ImportStore().versions()] == ["v0001"], "the rows file comes back as a version"
    assert store_problem() is None


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analysis", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def assert_clean_stderr(stderr: str, *private: Path) -> None:
    assert "Traceback" not in stderr, stderr
    for path in private:
        assert str(path) not in stderr, stderr


@pytest.mark.parametrize("case", sorted(HOSTILE_MANIFESTS))
def test_the_cli_reports_a_hostile_store_without_a_traceback(store_dir, case):
    (store_dir / "imports").mkdir(parents=True)
    manifest(store_dir).write_text(HOSTILE_MANIFESTS[case], encoding="utf-8")
    (store_dir / "scenarios.json").write_text(HOSTILE_SCENARIOS[case], encoding="utf-8")
    listed = run_cli("versions")
    assert listed.returncode == 1
    assert "versions.json" in listed.stderr
    assert_clean_stderr(listed.stderr, store_dir)
    exported = run_cli("export", "--scenario", "mine", "--out", str(store_dir / "deck.pptx"))
    assert exported.returncode == 2 and "scenarios.json" in exported.stderr
    assert_clean_stderr(exported.stderr, store_dir)
    repaired = run_cli("repair-store")
    assert repaired.returncode == 0, repaired.stderr
    assert_clean_stderr(repaired.stderr, store_dir)
    assert "backups" in repaired.stderr
    assert run_cli("versions").returncode == 0


@pytest.mark.parametrize("case", sorted(HOSTILE_MANIFESTS))
def test_the_api_answers_over_a_hostile_store(store_dir, case):
    from starlette.applications import Starlette
    from test_api import AsgiClient

    from analysis.api import Api
    from ui.http_api import routes

    (store_dir / "imports").mkdir(parents=True)
    manifest(store_dir).write_text(HOSTILE_MANIFESTS[case], encoding="utf-8")
    (store_dir / "scenarios.json").write_text(HOSTILE_SCENARIOS[case], encoding="utf-8")
    client = AsgiClient(Starlette(routes=routes(Api())))
    figures = client.get("/api/v1/figures.csv")
    assert figures.status_code == 200, "the report's figures still answer"
    saved = client.get("/api/v1/charts/ai-server-market.csv", params={"scenario": "mine", "lang": "en"})
    assert saved.status_code == 503
    assert saved.headers["content-type"].startswith("application/json")
    assert json.loads(saved.content)["error"]["code"] == "store_unreadable"
    assert str(store_dir) not in saved.content.decode()


@pytest.mark.parametrize("case", sorted(HOSTILE_MANIFESTS))
def test_a_page_over_a_hostile_store_shows_the_translated_message(tmp_path, built_db, case):
    from conftest import isolated_app, open_app_page

    store = tmp_path / "userdata"
    (store / "imports").mkdir(parents=True)
    (store / "imports" / "versions.json").write_text(HOSTILE_MANIFESTS[case], encoding="utf-8")
    (store / "scenarios.json").write_text(HOSTILE_SCENARIOS[case], encoding="utf-8")
    with isolated_app(built_db, store):
        for lang in ("en", "zh"):
            at = open_app_page("pages/market.py", lang, timeout=120)
            assert not at.exception
            shown = " ".join(m.value for m in [*at.warning, *at.error]).replace("\\", "")
            imports_message = t("frame.import_store_damaged", lang, detail="").split("repair-store")[0]
            assert imports_message in shown and "versions.json" in shown, shown
            assert t("scenario.store_unreadable", lang, detail="") in shown and "scenarios.json" in shown, shown
            assert str(store) not in shown
