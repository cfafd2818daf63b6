"""A damaged user-data store: refused on read, never written, never made worse, and repaired with a backup."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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
    with pytest.raises(StoreError, match="v0002.csv is not listed in the manifest"):
        apply(db_con, good_file("test_third_2023_actual"), "third")
    repair_store()  # lists v0002 again, as a rolled-back version
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


# ---------------------------------------------------------------- issue 28 (15): rows files carry their hash


def rows_file(store_dir: Path, version_id: str = "v0001") -> Path:
    return store_dir / "imports" / f"{version_id}.csv"


def edit_rows(store_dir: Path, old: str, new: str, version_id: str = "v0001") -> None:
    path = rows_file(store_dir, version_id)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_rows_file_carries_its_sha256_in_the_manifest(db_con, store_dir):
    import hashlib

    version = apply(db_con, good_file())
    entry = json.loads(manifest(store_dir).read_text(encoding="utf-8"))["versions"][0]
    assert entry["rows_sha256"] == hashlib.sha256(rows_file(store_dir).read_bytes()).hexdigest() == version.rows_sha256


@pytest.mark.parametrize(
    ("old", "new"), [("118.9", "inf"), (",2023,", ",abcd,"), ("118.9", "119.9")], ids=["inf", "abcd", "value"]
)
def test_an_edited_rows_file_is_reported_not_served(db_con, store_dir, old, new):
    apply(db_con, good_file())
    edit_rows(store_dir, old, new)
    problem = store_problem()
    assert problem is not None and "v0001.csv has changed since it was imported" in str(problem)
    assert imports.active_imported_figures(db_con).empty
    assert imports.revision() == -1
    edited = rows_file(store_dir).read_bytes()
    report = repair_store()
    assert (report.backup / "imports" / "versions.json").exists()
    assert store_problem() is None
    if new == "119.9":  # still a valid import: kept, with its new checksum, rolled back until someone restores it
        assert any("v0001" in a and "has changed since it was imported" in a for a in report.actions)
        assert [v.status for v in ImportStore().versions()] == ["rolled_back"]
    else:  # no import would pass it: moved out of the store into the backup
        assert (report.backup / "imports" / "v0001.csv").read_bytes() == edited
        assert ImportStore().versions() == []


@pytest.mark.parametrize(("old", "new", "reason"), [("118.9", "inf", "not a number: 'inf'"), (",2023,", ",abcd,", "not a year")])
def test_a_bad_value_in_a_manifest_without_hashes_is_still_refused(db_con, store_dir, old, new, reason):
    apply(db_con, good_file())
    edit_manifest(store_dir, lambda b: b["versions"][0].pop("rows_sha256"))
    edit_rows(store_dir, old, new)
    assert reason in str(store_problem())
    assert imports.active_imported_figures(db_con).empty
    edited = rows_file(store_dir).read_bytes()
    report = repair_store()
    assert (report.backup / "imports" / "v0001.csv").read_bytes() == edited, "the file is kept, in the backup"
    assert not rows_file(store_dir).exists()
    assert store_problem() is None and ImportStore().versions() == []


def test_an_old_manifest_without_hashes_reads_and_gets_them_on_the_next_write(db_con, store_dir):
    apply(db_con, good_file())
    edit_manifest(store_dir, lambda b: b["versions"][0].pop("rows_sha256"))
    assert store_problem() is None
    assert ImportStore().versions()[0].rows_sha256 == ""
    assert len(imports.active_imported_figures(db_con)) == 1
    ImportStore().rollback("v0001")
    assert ImportStore().versions()[0].rows_sha256, "recorded by the next write"


def test_repair_store_records_the_hashes_of_an_old_manifest(db_con, store_dir):
    apply(db_con, good_file())
    edit_manifest(store_dir, lambda b: b["versions"][0].pop("rows_sha256"))
    report = repair_store()
    assert any("rows_sha256" in a for a in report.actions)
    assert ImportStore().versions()[0].rows_sha256 and ImportStore().versions()[0].active


def test_an_orphan_rows_file_is_reported_refuses_imports_and_is_listed_by_repair(db_con, store_dir):
    """A kill between the rows file and the manifest: the rows file is there, the manifest never heard of it."""
    apply(db_con, good_file())
    rows_file(store_dir, "v0002").write_bytes(rows_file(store_dir).read_bytes())
    assert "v0002.csv is not listed in the manifest" in str(store_problem())
    payload = store_dir.parent / "more.csv"
    payload.write_bytes(good_file("test_other_2023_actual"))
    refused = run_cli("import", str(payload))
    assert refused.returncode == 1
    assert "v0002.csv is not listed" in refused.stderr and "repair-store" in refused.stderr
    assert_clean_stderr(refused.stderr, store_dir)
    assert [v.version_id for v in ImportStore().versions()] == ["v0001"]
    report = repair_store()
    assert any("v0002.csv was not listed" in a for a in report.actions)
    assert store_problem() is None
    assert run_cli("import", str(payload)).returncode == 0
    assert [v.version_id for v in ImportStore().versions()] == ["v0001", "v0002", "v0003"]


def test_the_store_check_reads_a_rows_file_again_only_when_it_changed(db_con, store_dir, monkeypatch):
    for n in range(3):
        apply(db_con, good_file(f"test_fig_{n}_2023_actual"))
    assert store_problem() is None and len(imports.readable_active_rows()) == 3
    reads = []
    original = ImportStore.typed_rows
    monkeypatch.setattr(ImportStore, "typed_rows", lambda self, *a, **k: reads.append(a[0]) or original(self, *a, **k))
    for _ in range(5):
        assert store_problem() is None and imports.revision() == 3
        assert len(imports.readable_active_rows()) == 3
    assert reads == [], "nothing changed: no rows file is read, not even for the active rows"
    edit_rows(store_dir, "118.9", "119.5", "v0002")
    assert "v0002.csv has changed" in str(store_problem())
    assert reads == ["v0002"], "only the file that changed is read again"


# ---------------------------------------------------------------- repair-store survives any input

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
VERSION_IDS = st.sampled_from(["v0001", "v0002", "v9999", "../../etc/passwd", "v1"])
ENTRIES = st.fixed_dictionaries(
    {},
    optional={
        "version_id": VERSION_IDS | VERSION_IDS | JSON_VALUES,
        "name": st.text(max_size=80) | JSON_VALUES,
        "file_name": st.text(max_size=10) | JSON_VALUES,
        "sha256": st.text(max_size=64) | JSON_VALUES,
        "rows_sha256": st.text(max_size=64) | JSON_VALUES,
        "row_count": st.integers(-2, 5) | JSON_VALUES,
        "created_at": st.sampled_from(["2025-01-01T00:00:00+00:00", "yesterday"]) | JSON_VALUES,
        "changed_at": st.text(max_size=5) | JSON_VALUES,
        "status": st.sampled_from(["active", "rolled_back", "deleted"]) | JSON_VALUES,
    },
)
MANIFESTS = st.fixed_dictionaries(
    {
        "format": st.just(imports.STORE_FORMAT) | st.just(imports.STORE_FORMAT) | JSON_VALUES,
        "versions": st.lists(ENTRIES | ENTRIES | JSON_VALUES, max_size=4),
    },
    optional={"revision": st.integers(-1, 10**25) | JSON_VALUES, "last_number": st.integers(-1, 10**5) | JSON_VALUES},
)
SCENARIO_FILES = st.fixed_dictionaries(
    {
        "format": st.just("compute-atlas-scenarios") | st.just("compute-atlas-scenarios") | JSON_VALUES,
        "scenarios": st.dictionaries(
            st.sampled_from(["Bull case", "Q3 plan", "baseline", "", " padded "]) | st.text(max_size=70),
            st.fixed_dictionaries(
                {},
                optional={
                    "values": st.dictionaries(st.sampled_from(["mkt_cagr", "cmp_gpus", "nope"]), JSON_VALUES, max_size=2)
                    | JSON_VALUES,
                    "saved_at": st.just("2025-01-01T00:00:00+00:00") | JSON_VALUES,
                },
            )
            | JSON_VALUES,
            max_size=3,
        )
        | JSON_VALUES,
    }
)
HOSTILE_TEXTS = st.sampled_from([DEEP, HUGE_INT, "{", "\ufeff{}", "NaN", '{"format": 1e999}'])


def damaged(structured) -> st.SearchStrategy[bytes | None]:
    """Absent, arbitrary bytes, a hostile text, or a file of the right shape with wrong parts."""
    as_json = structured.map(lambda body: json.dumps(body).encode())
    return st.one_of(st.none(), st.binary(max_size=120), HOSTILE_TEXTS.map(str.encode), as_json, as_json, as_json)


def mutated(payload: bytes) -> st.SearchStrategy[bytes]:
    return st.tuples(st.integers(0, len(payload)), st.integers(0, 8), st.binary(max_size=8)).map(
        lambda cut: payload[: cut[0]] + cut[2] + payload[cut[0] + cut[1] :]
    )


ROWS = st.one_of(st.none(), st.just(good_file()), mutated(good_file()), st.binary(max_size=200))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios=damaged(SCENARIO_FILES), manifest_bytes=damaged(MANIFESTS), first=ROWS, second=ROWS)
def test_repair_store_survives_any_damage_and_leaves_a_sound_store(scenarios, manifest_bytes, first, second):
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp) / "userdata"
        (root / "imports").mkdir(parents=True)
        for name, payload in (
            ("scenarios.json", scenarios),
            ("imports/versions.json", manifest_bytes),
            ("imports/v0001.csv", first),
            ("imports/v0002.csv", second),
        ):
            if payload is not None:
                (root / name).write_bytes(payload)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("ATLAS_USER_DATA_DIR", str(root))
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                code = main(["repair-store"])
        assert code == 0, err.getvalue()
        assert "Traceback" not in err.getvalue() and temp not in err.getvalue()
        ScenarioStore(root).names()  # reads without a StoreError
        assert store_problem(root) is None, str(store_problem(root))
        ImportStore(root).active_rows()
        assert repair_store(root).actions == [], "a repaired store needs no second repair"
