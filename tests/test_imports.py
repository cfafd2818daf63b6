"""Imported figures: the build's rules on an uploaded file, the versioned store, rollback, concurrency."""

from __future__ import annotations

import csv
import io
import threading
from pathlib import Path

import pytest
from import_rows import apply, csv_bytes, good_file, row

from analysis import imports
from analysis.build import parse_cell
from analysis.db import query
from analysis.i18n import LANGS, catalog
from analysis.imports import IMPORT_COLUMNS, ImportStore, check_import, describe_problem, reason_code
from analysis.imports_pg import PostgresImportStore
from analysis.schema import Column
from analysis.userstore import StoreError


@pytest.fixture
def store_dir(tmp_path, monkeypatch, built_db) -> Path:
    """An empty user-data store of this test's own; the CLI reads the session's built database."""
    directory = tmp_path / "userdata"
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(directory))
    monkeypatch.setenv("ATLAS_DB_PATH", str(built_db))
    return directory


@pytest.fixture(params=["files", "postgres"])
def import_store(request, store_dir, monkeypatch):
    """The import store on each back end (as the scenario store's `store` in test_userstore_backends.py): the files
    under `store_dir`, or a fresh database on the session's throwaway PostgreSQL named by ATLAS_USERDATA_URL."""
    if request.param == "files":
        monkeypatch.delenv("ATLAS_USERDATA_URL", raising=False)
    else:
        request.getfixturevalue("pg_url")
    made = imports.open_import_store()
    assert isinstance(made, ImportStore if request.param == "files" else PostgresImportStore)
    return made


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under the store, byte for byte."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- bad files


def _gbk() -> bytes:
    return csv_bytes([row(printed="约118.9万台", source="测试来源")], encoding="gbk")


def _formula(column: str, text: str):
    return lambda: csv_bytes([row(**{column: text})])


BAD_FILES = [
    # (id, payload, reason code, line, column)
    ("empty", lambda: b"", "empty", None, None),
    ("blank-lines", lambda: b"\n\n  \n", "empty", None, None),
    ("header-only", lambda: csv_bytes([]), "no_rows", None, None),
    ("gbk", _gbk, "gbk", None, None),
    ("missing-column", lambda: csv_bytes([row()], header=[c for c in IMPORT_COLUMNS if c != "unit"]), "missing_columns", 1, None),
    ("extra-column", lambda: csv_bytes([row()], header=[*IMPORT_COLUMNS, "comment"]), "extra_columns", 1, None),
    ("source_id-not-source", lambda: csv_bytes([row()], header=[*IMPORT_COLUMNS[:-2], "source_id", "note"]), "missing_columns", 1, None),
    ("non-numeric", lambda: csv_bytes([row(value="abc")]), "not_number", 2, "value"),
    ("number-with-unit", lambda: csv_bytes([row(value="118.9万台")]), "not_number", 2, "value"),
    ("unknown-unit", lambda: csv_bytes([row(unit="furlongs")]), "unknown_reference", 2, "unit"),
    ("unknown-metric", lambda: csv_bytes([row(metric="no_such_metric")]), "unknown_reference", 2, "metric"),
    ("unknown-entity", lambda: csv_bytes([row(entity="mars")]), "unknown_reference", 2, "entity"),
    ("unknown-kind", lambda: csv_bytes([row(kind="guess")]), "choice", 2, "kind"),
    ("duplicate-in-file", lambda: csv_bytes([row(), row()]), "duplicate", 3, "figure_id"),
    ("duplicate-of-report", lambda: csv_bytes([row(figure_id="global_ai_server_shipments_2023")]), "in_report", 2, "figure_id"),
    ("formula-equals", _formula("printed", "=cmd|' /C calc'!A0"), "formula", 2, "printed"),
    ("formula-plus", _formula("source", "+cmd|' /C calc'!A0"), "formula", 2, "source"),
    ("formula-minus", _formula("note", "-2+3+cmd|' /C calc'!A0"), "formula", 2, "note"),
    ("formula-at", _formula("printed", "@SUM(A1:A9)"), "formula", 2, "printed"),
    ("formula-in-number", _formula("value", "=1+1"), "formula", 2, "value"),
    ("unit-of-other-dimension", lambda: csv_bytes([row(unit="USD")]), "unit_dimension", 2, "unit"),
    ("bad-period", lambda: csv_bytes([row(period="FY23")]), "bad_period", 2, "period"),
    ("missing-source", lambda: csv_bytes([row(source="")]), "required", 2, "source"),
    ("split-not-100", lambda: csv_bytes([row(metric="ai_server_workload_share", entity="CN", segment="inference", unit="percent", value="61")]),
     "split", 2, "value"),
]  # fmt: skip


@pytest.mark.parametrize("case_id, make, code, line, column", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_file_is_refused_with_its_row_and_reason(db_con, case_id, make, code, line, column):
    check = check_import(db_con, make(), "bad.csv")
    assert not check.ok and check.rows == ()
    found = [p for p in check.problems if reason_code(p.reason)[0] == code]
    assert found, [str(p) for p in check.problems]
    assert (found[0].line, found[0].column) == (line, column)
    assert found[0].file == "bad.csv"
    for lang in LANGS:
        message = describe_problem(found[0], lang)
        assert "⟦" not in message
        if line is not None:
            assert str(line) in message


@pytest.mark.parametrize("case_id, make, code, line, column", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_file_leaves_the_store_byte_for_byte_unchanged(
    db_con, store_dir, tmp_path, capsys, case_id, make, code, line, column
):
    from analysis.__main__ import main

    apply(db_con, good_file(), "existing")  # a store with something in it to lose
    before = snapshot(store_dir)
    check = check_import(db_con, make(), "bad.csv")
    with pytest.raises(ValueError, match="cannot be imported"):
        ImportStore().apply(check, "bad")
    bad_path = tmp_path / "bad.csv"
    bad_path.write_bytes(make())
    assert main(["import", str(bad_path)]) == 1
    err = capsys.readouterr().err
    assert "not imported" in err and "nothing was stored" in err
    assert snapshot(store_dir) == before


def test_a_50_mb_file_is_refused_before_it_is_read(db_con, store_dir, tmp_path, monkeypatch):
    big = tmp_path / "big.csv"
    with big.open("wb") as handle:
        handle.write(csv_bytes([row()]))
        handle.write(b"x" * (50 * 1024 * 1024))
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"{self} was read"))
    check = imports.check_import_file(db_con, big)
    assert [reason_code(p.reason)[0] for p in check.problems] == ["too_large"]
    assert "52.43 MB" in describe_problem(check.problems[0], "en")  # 50 MiB and a row, in MB of 10**6 bytes
    assert not store_dir.exists()


def test_a_50_mb_upload_is_refused_by_size(db_con):
    check = check_import(db_con, b"figure_id\n" + b"x" * (50 * 1024 * 1024), "big.csv")
    assert [reason_code(p.reason)[0] for p in check.problems] == ["too_large"]


@pytest.mark.parametrize(
    "column_type, text, refused",
    [
        ("text", "=cmd|' /C calc'!A0", True),
        ("text", "+cmd", True),
        ("text", "-cmd", True),
        ("text", "@SUM(A1)", True),
        ("text", "-2+3+cmd|' /C calc'!A0", True),
        ("text", "-5", False),
        ("text", "+86", False),
        ("float", "-5.5", False),
        ("float", "+1e3", False),
        ("float", "=5", True),
    ],
)
def test_formula_rule_is_the_builds(column_type, text, refused):
    _, reason = parse_cell(Column("c", column_type), text)
    assert (reason is not None and "formula" in reason) == refused


def test_every_reason_has_a_message_in_both_languages():
    codes = {code for _, code in imports._REASONS}
    for lang in LANGS:
        assert sorted(c for c in codes if f"imports.reason.{c}" not in catalog(lang)) == []


def test_gbk_message_says_how_to_fix_it(db_con):
    check = check_import(db_con, _gbk(), "gbk.csv")
    assert "CSV UTF-8" in describe_problem(check.problems[0], "zh")
    assert "GBK" in describe_problem(check.problems[0], "en")


# ---------------------------------------------------------------- good files, versions, rollback


def test_good_file_is_stored_as_a_version_and_shown_until_rolled_back(db_con, import_store):
    assert imports.revision() == 0
    version = apply(db_con, good_file(), "2023 actuals")
    assert (version.version_id, version.name, version.row_count, version.status) == ("v0001", "2023 actuals", 1, "active")
    imported = imports.active_imported_figures(db_con)
    assert list(imported["figure_id"]) == ["test_shipments_2023_actual"]
    first = imported.iloc[0]
    assert (first["origin"], first["source_id"], first["version"], first["kind"]) == (
        "imported",
        "import:v0001",
        "v0001",
        "reported",
    )
    assert first["value"] == 118.9 and first["metric_en"] == "AI server shipments"
    both = imports.figures_with_imports(db_con, "both")
    assert "test_shipments_2023_actual" in set(both["figure_id"])
    assert len(both) == len(imports.figures_with_imports(db_con, "report")) + 1
    assert list(imports.figures_with_imports(db_con, "imported")["figure_id"]) == ["test_shipments_2023_actual"]

    revision = imports.revision()
    import_store.rollback("v0001")
    assert imports.revision() > revision
    assert imports.active_imported_figures(db_con).empty
    assert "test_shipments_2023_actual" not in set(imports.figures_with_imports(db_con, "both")["figure_id"])
    assert [v.status for v in import_store.versions()] == ["rolled_back"]
    assert len(import_store.rows("v0001")) == 1, "a rolled-back version is kept"

    import_store.restore("v0001")
    assert list(imports.active_imported_figures(db_con)["figure_id"]) == ["test_shipments_2023_actual"]


def test_the_report_figures_are_never_touched(db_con, store_dir, built_db):
    before = built_db.read_bytes()
    apply(db_con, good_file())
    ImportStore().rollback("v0001")
    assert built_db.read_bytes() == before


def test_a_later_version_replaces_a_figure_and_rollback_brings_the_earlier_back(db_con, import_store):
    apply(db_con, good_file(value="118.9"), "first")
    apply(db_con, good_file(value="119.5"), "correction")
    assert list(imports.active_imported_figures(db_con)["value"]) == [119.5]
    import_store.rollback("v0002")
    assert list(imports.active_imported_figures(db_con)["value"]) == [118.9]


def test_stored_rows_read_back_as_checked(db_con, import_store):
    payload = csv_bytes(
        [
            row(figure_id="a_range", value="", value_low="100", value_high="130.25", qualifier="none", note='a, quoted "note"'),
            row(figure_id="a_month", period="2024-06", printed="中文，逗号"),
        ]
    )
    check = check_import(db_con, payload, "x.csv")
    import_store.apply(check, "x")
    stored = import_store.rows("v0001").to_dict("records")
    for got, expected in zip(stored, check.rows, strict=True):
        assert {k: (None if v != v else v) for k, v in got.items()} == expected  # NaN → None for the comparison


@pytest.mark.parametrize("name, code", [("", "empty"), ("   ", "empty"), ("x" * 61, "too_long")])
def test_bad_version_names_are_refused_and_nothing_is_stored(db_con, store_dir, import_store, name, code):
    check = check_import(db_con, good_file(), "a.csv")
    with pytest.raises(imports.ImportNameError) as excinfo:
        import_store.apply(check, name)
    assert excinfo.value.code == code
    assert not store_dir.exists() or snapshot(store_dir) == {}
    assert import_store.versions() == [] and imports.revision() == 0


def test_unknown_version_cannot_be_rolled_back(import_store):
    with pytest.raises(KeyError):
        import_store.rollback("v0099")


def test_an_unreadable_manifest_is_reported_and_not_overwritten(db_con, store_dir):
    manifest = store_dir / "imports" / "versions.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text("{ not json", encoding="utf-8")
    check = check_import(db_con, good_file(), "a.csv")
    with pytest.raises(StoreError):
        ImportStore().apply(check, "x")
    assert manifest.read_text(encoding="utf-8") == "{ not json"
    assert imports.revision() == -1


def test_two_imports_at_once_both_land(db_con, store_dir, import_store):
    """Threads apply at the same moment; the manifest lock serialises them and neither is lost."""
    count = 6
    checks = [check_import(db_con, good_file(figure_id=f"test_parallel_{i}"), f"f{i}.csv") for i in range(count)]
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            imports.open_import_store().apply(checks[i], f"parallel {i}")
        except BaseException as exc:  # reported below; a thread's exception would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    versions = import_store.versions()
    assert sorted(v.version_id for v in versions) == [f"v{i:04d}" for i in range(1, count + 1)]
    assert sorted(v.name for v in versions) == sorted(f"parallel {i}" for i in range(count))
    assert sorted(imports.active_imported_figures(db_con)["figure_id"]) == sorted(f"test_parallel_{i}" for i in range(count))
    assert import_store.revision() == imports.revision() == count


# ---------------------------------------------------------------- templates


def test_empty_template_is_the_header(db_con):
    text = imports.template_csv().decode("utf-8-sig")
    assert text.strip().split(",") == IMPORT_COLUMNS
    check = check_import(db_con, imports.template_csv(), "template.csv")
    assert [reason_code(p.reason)[0] for p in check.problems] == ["no_rows"]


def test_forecast_template_cannot_be_imported_unfilled_but_can_once_filled(db_con):
    payload = imports.template_csv(db_con)
    unfilled = check_import(db_con, payload, "template.csv")
    assert not unfilled.ok
    rows = list(csv.DictReader(io.StringIO(payload.decode("utf-8-sig"))))
    assert rows and all(r["kind"] == "reported" and r["figure_id"].endswith("_actual") for r in rows)
    # Rows left as the template gave them are skipped, not 58 problems.
    assert [reason_code(p.reason)[0] for p in unfilled.problems] == ["no_rows"]
    assert unfilled.skipped == len(rows)
    # Filled in with the forecasts' own values (so every split still sums to 100), it passes.
    forecasts = query(db_con, "SELECT figure_id, value, value_low, value_high FROM figures").set_index("figure_id")
    for r in rows:
        forecast = forecasts.loc[r["figure_id"].removesuffix("_actual")]
        r |= {"value": str(float(forecast["value"])), "printed": "test", "source": "test source"}
    filled = check_import(db_con, csv_bytes(rows), "filled.csv")
    assert filled.ok, [str(p) for p in filled.problems]
    assert len(filled.rows) == len(rows)


def test_problem_list_cannot_inject_markdown(db_con):
    check = check_import(db_con, csv_bytes([row(unit="[click](http://example.com)")]), "x.csv")
    text = imports.problems_markdown(check.problems, "en", 10)
    assert text.startswith("- Line 2\\, column unit\\: ")
    # every punctuation mark escaped: no link, and no bare-URL autolink either
    assert "\\[click\\]\\(http\u200b\\:\\/\\/example\\.com\\)" in text and "[click](" not in text and "http://" not in text


def test_an_excel_csv_utf8_file_with_bom_and_crlf_is_accepted(db_con):
    payload = b"\xef\xbb\xbf" + csv_bytes([row()]).replace(b"\n", b"\r\n")
    check = check_import(db_con, payload, "excel.csv")
    assert check.ok, [str(p) for p in check.problems]
    assert check.rows[0]["figure_id"] == "test_shipments_2023_actual" and check.rows[0]["value"] == 118.9


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_forecast_template_with_two_rows_filled_names_the_missing_printed_column(db_con, lang):
    rows = list(csv.DictReader(io.StringIO(imports.template_csv(db_con).decode("utf-8-sig"))))
    splits = set(query(db_con, "SELECT metric_id FROM metrics WHERE sums_to_100")["metric_id"])
    chosen = [i for i, r in enumerate(rows) if r["metric"] not in splits][:2]
    for i in chosen:
        rows[i] |= {"value": "1.5", "source": "test source"}
    check = check_import(db_con, csv_bytes(rows), "template.csv")
    assert [(p.column, reason_code(p.reason)[0]) for p in check.problems] == [("printed", "required")] * 2
    assert "“printed”" in describe_problem(check.problems[0], lang)
    for i in chosen:
        rows[i]["printed"] = "1.5"
    check = check_import(db_con, csv_bytes(rows), "template.csv")
    assert check.ok and len(check.rows) == 2 and check.skipped == len(rows) - 2


@pytest.mark.parametrize(
    ("changes", "column", "code"),
    [
        ({"value": "１２３"}, "value", "not_number"),
        ({"value": "٣٤"}, "value", "not_number"),
        ({"value": "1_000"}, "value", "not_number"),
        ({"value": "inf"}, "value", "not_number"),
        ({"figure_id": "x" * 100_000}, "figure_id", "too_long"),
        ({"note": "a\u202eb"}, "note", "refused_char"),  # names U+202E and where it is
        ({"printed": "a\x00b"}, "printed", "refused_char"),
        ({"note": "n" * 2_001}, "note", "too_long"),
    ],
)
def test_lenient_values_are_refused(db_con, changes, column, code):
    check = check_import(db_con, csv_bytes([row(**changes)]), "x.csv")
    assert (check.problems[0].column, reason_code(check.problems[0].reason)[0]) == (column, code)
    assert len(describe_problem(check.problems[0], "en")) < 300


def test_shares_outside_0_to_100_are_refused_even_when_they_sum_to_100(db_con):
    base = {"metric": "ai_server_workload_share", "unit": "percent", "entity": "CN", "period": "2031"}
    rows = [
        row(figure_id="test_share_a", segment="training", value="-50", **base),
        row(figure_id="test_share_b", segment="inference", value="150", **base),
    ]
    check = check_import(db_con, csv_bytes(rows), "x.csv")
    assert sorted(reason_code(p.reason)[0] for p in check.problems) == ["share_range", "share_range"]


def test_duplicate_header_names_are_refused(db_con):
    header = [*IMPORT_COLUMNS, "value"]
    check = check_import(db_con, csv_bytes([row()], header=header), "x.csv")
    assert [reason_code(p.reason)[0] for p in check.problems] == ["duplicate_columns"]


# ---------------------------------------------------------------- issue 28 (5): a quota per store, and pruning


def test_the_version_quota_refuses_an_import_and_stores_nothing(db_con, store_dir, import_store, monkeypatch):
    monkeypatch.setenv(imports.MAX_VERSIONS_ENV, "2")
    apply(db_con, good_file("test_a_2023_actual"))
    apply(db_con, good_file("test_b_2023_actual"))
    before, revision = snapshot(store_dir) if store_dir.exists() else {}, imports.revision()
    with pytest.raises(imports.QuotaError) as caught:
        apply(db_con, good_file("test_c_2023_actual"))
    assert caught.value.code == "versions" and caught.value.values == {"count": "2", "limit": "2"}
    assert "prune-imports --keep N" in str(caught.value)
    assert (snapshot(store_dir) if store_dir.exists() else {}) == before
    assert [v.version_id for v in import_store.versions()] == ["v0001", "v0002"] and imports.revision() == revision


def test_the_byte_quota_counts_every_stored_rows_file(db_con, store_dir, import_store, monkeypatch):
    apply(db_con, good_file("test_a_2023_actual"))
    used = import_store.stored_bytes()
    assert used == len(imports._rows_csv(check_import(db_con, good_file("test_a_2023_actual"), "a.csv").rows))
    monkeypatch.setenv(imports.MAX_MB_ENV, f"{(used + 10) / 2**20:.9f}")
    with pytest.raises(imports.QuotaError) as caught:
        apply(db_con, good_file("test_b_2023_actual"))
    assert caught.value.code == "bytes"
    assert [v.version_id for v in import_store.versions()] == ["v0001"]


@pytest.mark.parametrize("setting", ["", "0", "-3", "lots", "１０", "1e3"])
def test_a_quota_setting_that_is_not_a_positive_number_keeps_the_default(monkeypatch, setting):
    monkeypatch.setenv(imports.MAX_VERSIONS_ENV, setting)
    monkeypatch.setenv(imports.MAX_MB_ENV, setting)
    assert imports.quota() == imports.Quota(imports.DEFAULT_MAX_VERSIONS, imports.DEFAULT_MAX_MB)


def test_prune_removes_the_oldest_rolled_back_versions_and_never_reuses_a_number(db_con, store_dir, import_store):
    for letter in "abcde":
        apply(db_con, good_file(f"test_{letter}_2023_actual"), letter)
    for version_id in ("v0001", "v0002", "v0005"):
        import_store.rollback(version_id)
    removed = import_store.prune(keep=2)
    assert [v.version_id for v in removed] == ["v0001", "v0002"], "v0003 is active; v0005 is among the 2 newest"
    assert [v.version_id for v in import_store.versions()] == ["v0003", "v0004", "v0005"]
    if isinstance(import_store, ImportStore):
        assert sorted(p.name for p in (store_dir / "imports").glob("v*.csv")) == ["v0003.csv", "v0004.csv", "v0005.csv"]
    assert imports.store_problem() is None
    assert import_store.prune(keep=0) and [v.version_id for v in import_store.versions()] == ["v0003", "v0004"]
    assert apply(db_con, good_file("test_f_2023_actual")).version_id == "v0006", "v0005 was pruned, not forgotten"


def test_prune_imports_command(db_con, store_dir, capsys):
    from analysis.__main__ import main

    apply(db_con, good_file("test_a_2023_actual"), "old")
    apply(db_con, good_file("test_b_2023_actual"), "new")
    ImportStore().rollback("v0001")
    assert main(["prune-imports", "--keep", "1"]) == 0
    err = capsys.readouterr().err
    assert "removed v0001 'old'" in err and "1 version(s) removed; 1 of 200 versions" in err
    for bad in ("-1", "１", "two"):
        with pytest.raises(SystemExit) as caught:
            main(["prune-imports", "--keep", bad])
        assert caught.value.code == 2


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_imports_page_says_the_store_is_full_in_the_users_language(db_con, tmp_path, built_db, monkeypatch, lang):
    from conftest import isolated_app, open_app_page

    from analysis.i18n import t

    userdata = tmp_path / "page-userdata"
    monkeypatch.setenv(imports.MAX_VERSIONS_ENV, "1")
    with isolated_app(built_db, userdata):
        apply(db_con, good_file("test_a_2023_actual"))
        at = open_app_page("pages/imports.py", lang, timeout=60)
        at.get("file_uploader")[0].set_value(("more.csv", good_file("test_b_2023_actual"), "text/csv"))
        at.run()
        next(b for b in at.button if b.key.startswith("FormSubmitter:imports.apply_form")).click()
        at.run()
        assert not at.exception
        assert [e.value for e in at.error] == [t("imports.quota.versions", lang, count="1", limit="1")]
        assert [v.version_id for v in ImportStore(userdata).versions()] == ["v0001"]


@pytest.mark.parametrize("hidden", ["\u202e", "\u200b", "\u2028", "\ufeff", "\x07"])
def test_a_file_name_with_a_hidden_character_is_stored_as_it_reads(db_con, import_store, hidden):
    """The versions table shows the uploaded file's name: a right-to-left override there would show
    'Q3 plan \u202eFDP.csv' as 'Q3 plan vsc.PDF' (issue 28, finding 13)."""
    check = check_import(db_con, good_file(), f"Q3 plan {hidden}FDP.csv")
    version = import_store.apply(check, "q3")
    assert version.file_name == "Q3 plan FDP.csv"
    assert [v.file_name for v in import_store.versions()] == ["Q3 plan FDP.csv"]
