"""In Chromium: a bad upload shows its message, a good one imports and rolls back, the SQL console runs a query."""

from __future__ import annotations

import csv
import re

import pytest
from playwright.sync_api import expect

from analysis.i18n import t
from analysis.imports import IMPORT_COLUMNS, MAX_IMPORT_MB
from analysis.paths import datasets_dir

DATASETS_DIR = datasets_dir()

PAGE_READY_MS = 60_000
BENIGN_CONSOLE = re.compile(r"Failed to load resource: the server responded with a status of 404")
GOOD_ROW = (
    "test_browser_shipments_2023,ai_server_shipments,global,,2023,118.9,,,units_10k,approx,约118.9万台,reported,"
    '"Browser test source, not a real publication",'
)


def kinds_in_datasets() -> int:
    """How many figure kinds datasets/figures.csv uses (the SQL example groups by kind)."""
    with (DATASETS_DIR / "figures.csv").open(encoding="utf-8", newline="") as handle:
        return len({row["kind"] for row in csv.DictReader(handle)})


def open_page(page, app_url: str, path: str, lang: str):
    page.goto(f"{app_url}/{path}" + ("" if lang == "zh" else f"?lang={lang}"))
    page.locator("h1").first.wait_for(timeout=PAGE_READY_MS)
    return page.locator("[data-testid=stMain]")


def assert_clean(page):
    assert page.locator("[data-testid=stException]").count() == 0
    assert [m for m in page.console_errors if not BENIGN_CONSOLE.search(m)] == []
    assert page.external_requests == []


def csv_file(tmp_path, name: str, *rows: str) -> str:
    path = tmp_path / name
    path.write_text("\n".join([",".join(IMPORT_COLUMNS), *rows]) + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_bad_upload_shows_the_row_and_the_problem(page, app_url, tmp_path, lang):
    main = open_page(page, app_url, "imports", lang)
    bad = csv_file(tmp_path, "bad.csv", GOOD_ROW.replace(",118.9,", ",lots,"))
    page.locator("input[type=file]").set_input_files(bad)
    alert = main.locator("[data-testid=stAlert]").filter(has_text="bad.csv")
    expect(alert).to_contain_text(t("imports.rejected", lang, file="bad.csv", count=2), timeout=PAGE_READY_MS)
    reason = t("imports.reason.not_number", lang, value="'lots'")
    expect(main).to_contain_text(t("imports.at_line_column", lang, line=2, column="value", reason=reason))
    expect(main.get_by_role("button", name=t("imports.apply", lang))).to_have_count(0)
    assert_clean(page)


def test_a_file_over_the_limit_is_refused_before_upload(page, app_url, tmp_path):
    main = open_page(page, app_url, "imports", "en")
    big = tmp_path / "big.csv"
    with big.open("wb") as handle:
        handle.write((",".join(IMPORT_COLUMNS) + "\n").encode())
        handle.write(b"x" * (50 * 1024 * 1024))
    page.locator("input[type=file]").set_input_files(str(big))
    chip = main.locator("[data-testid=stFileChip]").filter(has_text="big.csv")
    expect(chip).to_have_attribute("aria-invalid", "true", timeout=PAGE_READY_MS)
    expect(main.locator("[data-testid=stFileUploader]")).to_contain_text(f"{MAX_IMPORT_MB:.1f}MB or smaller")
    expect(main.get_by_role("button", name=t("imports.apply", "en"))).to_have_count(0)
    assert_clean(page)


def test_a_good_upload_imports_shows_on_figures_and_rolls_back(page, app_url, tmp_path):
    main = open_page(page, app_url, "imports", "en")
    good = csv_file(tmp_path, "browser-actuals.csv", GOOD_ROW)
    page.locator("input[type=file]").set_input_files(good)
    expect(main).to_contain_text(t("imports.checked", "en", file="browser-actuals.csv", rows=1), timeout=PAGE_READY_MS)
    main.get_by_role("button", name=t("imports.apply", "en")).click()
    expect(main).to_contain_text("browser-actuals”.", timeout=PAGE_READY_MS)
    version = re.search(r"as version (v\d{4})", main.inner_text()).group(1)

    figures = open_page(page, app_url, "figures", "en")
    figures.get_by_placeholder(t("figures.search_placeholder", "en")).fill("test_browser_shipments")
    figures.get_by_placeholder(t("figures.search_placeholder", "en")).press("Enter")
    expect(figures).to_contain_text(re.compile(r"Showing 1 of \d+ figures"), timeout=PAGE_READY_MS)

    main = open_page(page, app_url, "imports", "en")
    main.get_by_role("button", name=t("imports.rollback", "en")).click()
    expect(main).to_contain_text(t("imports.rollback_done", "en", version=version, name="browser-actuals"), timeout=PAGE_READY_MS)
    assert_clean(page)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_sql_console_runs_a_query_and_refuses_a_file_read(page, app_url, lang):
    main = open_page(page, app_url, "sql", lang)
    editor = main.locator("textarea")
    editor.fill("SELECT kind, count(*) AS n FROM figures GROUP BY kind ORDER BY kind")
    editor.press("Control+Enter")
    kinds = kinds_in_datasets()
    before_seconds = t("sql.summary", lang, rows=str(kinds), seconds="\x00").split("\x00")[0]
    expect(main).to_contain_text(before_seconds, timeout=PAGE_READY_MS)
    # One result table; the "Tables and columns" expander holds another dataframe, which is not a result.
    results = main.locator("[data-testid=stDataFrame]:not([data-testid=stExpander] [data-testid=stDataFrame])")
    expect(results).to_have_count(1)
    with page.expect_download() as info:
        main.get_by_role("button", name=t("sql.download", lang, rows=str(kinds))).click()
    text = open(info.value.path(), encoding="utf-8-sig").read()
    assert text.splitlines()[0] == "kind,n" and "forecast," in text and len(text.splitlines()) == kinds + 1

    editor.fill("SELECT * FROM read_csv('/etc/passwd')")
    editor.press("Control+Enter")
    expect(main.locator("[data-testid=stAlert]")).to_contain_text(t("sql.error.permission", lang), timeout=PAGE_READY_MS)
    expect(main).to_contain_text("file system operations are disabled by configuration")
    assert "root:" not in main.inner_text()
    assert_clean(page)


def test_the_figures_shown_setting_moves_by_keyboard_into_the_url(page, app_url):
    main = open_page(page, app_url, "figures", "en")
    box = main.locator("[data-testid=stSelectbox]").filter(has_text=t("imports.layer", "en"))
    box.locator("input").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.type(t("imports.layer.report", "en"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"[?&]imports_layer=report"), timeout=PAGE_READY_MS)
    expect(box.get_by_role("combobox")).to_have_value(t("imports.layer.report", "en"))
    # The link carries the setting: a fresh page opened from it starts there.
    url = page.url
    page.goto("about:blank")
    page.goto(url)
    page.locator("h1").first.wait_for(timeout=PAGE_READY_MS)
    box = page.locator("[data-testid=stMain] [data-testid=stSelectbox]").filter(has_text=t("imports.layer", "en"))
    expect(box.get_by_role("combobox")).to_have_value(t("imports.layer.report", "en"), timeout=PAGE_READY_MS)
    assert_clean(page)
