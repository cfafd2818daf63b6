"""Every page opens by deep link, in both languages, with our sidebar and no exception."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from analysis.i18n import LANGS, t
from analysis.sitemap import PAGES

PAGE_READY_MS = 60_000
# Streamlit's frontend first probes `<page>/_stcore/...` relative to a deep link, gets 404, then
# uses the root; Chromium logs those probes as console errors. Anything else is a real error.
BENIGN_CONSOLE = re.compile(r"Failed to load resource: the server responded with a status of 404")


def deep_link(app_url: str, page, lang: str) -> str:
    query = "" if lang == "zh" else f"?lang={lang}"
    return f"{app_url}/{page.url_path}{query}"


def heading_key(page) -> str:
    return "home.title" if page.page_id == "home" else page.title_key


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("target", PAGES, ids=lambda p: p.page_id)
def test_deep_link_shows_page_and_sidebar(page, app_url, target, lang):
    page.goto(deep_link(app_url, target, lang))
    heading = page.locator("h1").first
    heading.wait_for(timeout=PAGE_READY_MS)
    assert heading.inner_text().strip() == t(heading_key(target), lang)

    sidebar = page.locator("[data-testid=stSidebar]")
    links = sidebar.locator("[data-testid=stPageLink-NavLink]")
    expect(links).to_have_count(len(PAGES), timeout=PAGE_READY_MS)
    labels = [links.nth(i).locator("[data-testid=stMarkdownContainer]").inner_text().strip() for i in range(links.count())]
    assert labels == [t(p.title_key, lang) for p in PAGES]
    # Streamlit's own page list would mean the wrong sidebar (the deep-link pitfall).
    assert sidebar.locator("[data-testid=stSidebarNav]").count() == 0
    if lang != "zh":
        assert all(f"lang={lang}" in (links.nth(i).get_attribute("href") or "") for i in range(links.count()))

    assert page.locator("[data-testid=stException]").count() == 0
    assert "⟦" not in page.locator("[data-testid=stMain]").inner_text()
    real_errors = [m for m in page.console_errors if not BENIGN_CONSOLE.search(m)]
    assert real_errors == []
    assert page.external_requests == []


def test_language_switch_keeps_page_and_sets_url(page, app_url):
    target = next(p for p in PAGES if p.page_id == "figures")
    page.goto(deep_link(app_url, target, "zh"))
    page.locator("h1").first.wait_for(timeout=PAGE_READY_MS)
    page.get_by_role("radio", name="English").click()
    page.wait_for_url(re.compile(r"[?&]lang=en"), timeout=PAGE_READY_MS)
    page.get_by_role("heading", name=t(target.title_key, "en")).wait_for(timeout=PAGE_READY_MS)
    assert f"/{target.url_path}" in page.url


def test_sidebar_link_carries_language(page, app_url):
    home = PAGES[0]
    sources = next(p for p in PAGES if p.page_id == "sources")
    page.goto(deep_link(app_url, home, "en"))
    page.locator("h1").first.wait_for(timeout=PAGE_READY_MS)
    page.locator("[data-testid=stSidebar]").get_by_role("link", name=t(sources.title_key, "en")).click()
    page.get_by_role("heading", name=t(sources.title_key, "en")).wait_for(timeout=PAGE_READY_MS)
    assert "lang=en" in page.url


def test_chart_csv_download(page, app_url):
    page.goto(deep_link(app_url, PAGES[0], "en"))
    button = page.get_by_role("button", name=t("chart.download_csv", "en"))
    button.wait_for(timeout=PAGE_READY_MS)
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "compute-atlas_workload-split_en.csv"
    text = open(download.path(), encoding="utf-8-sig").read()
    # 2026 inference share, from the report's chart 「中国AI服务器工作负载预测」.
    assert "62.2" in text and t("column.inference_share_percent", "en") in text
