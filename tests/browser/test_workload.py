"""The training-vs-inference page in Chromium: a slider moved by keyboard redraws the chart and updates the URL."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from analysis.i18n import t
from analysis.sitemap import PAGES_BY_ID

PAGE_READY_MS = 60_000
BENIGN_CONSOLE = re.compile(r"Failed to load resource: the server responded with a status of 404")


def open_workload(page, app_url: str, query: str = "lang=en"):
    page.goto(f"{app_url}/{PAGES_BY_ID['workload'].url_path}?{query}")
    page.get_by_role("heading", name=t("page.workload.title", "en")).wait_for(timeout=PAGE_READY_MS)
    chart = page.locator(".atlas-plot").first
    chart.locator(".main-svg").first.wait_for(timeout=PAGE_READY_MS)
    return chart


def slider(page, label_key: str):
    widget = page.locator("[data-testid=stSlider]").filter(has_text=t(label_key, "en"))
    return widget.get_by_role("slider")


def assert_clean(page):
    assert page.locator("[data-testid=stException]").count() == 0
    assert [m for m in page.console_errors if not BENIGN_CONSOLE.search(m)] == []
    assert page.external_requests == []


def test_target_slider_by_keyboard_redraws_chart_and_url(page, app_url):
    chart = open_workload(page, app_url)
    expect(chart.get_by_text(t("workload.chart.target", "en", target="60%"))).to_be_visible()
    thumb = slider(page, "workload.target")
    thumb.focus()
    thumb.press("ArrowRight")  # one step: 60% → 60.5%
    page.wait_for_url(re.compile(r"[?&]wl_target=60\.5"), timeout=PAGE_READY_MS)
    expect(chart.get_by_text(t("workload.chart.target", "en", target="60.5%"))).to_be_visible(timeout=PAGE_READY_MS)
    assert "lang=en" in page.url
    assert_clean(page)


def test_horizon_slider_by_keyboard_shortens_the_chart(page, app_url):
    chart = open_workload(page, app_url)
    expect(chart.locator(".xtick", has_text="2032")).to_have_count(1)
    thumb = slider(page, "workload.horizon")
    thumb.focus()
    thumb.press("ArrowLeft")  # 2032 → 2031
    page.wait_for_url(re.compile(r"[?&]wl_horizon=2031"), timeout=PAGE_READY_MS)
    expect(chart.locator(".xtick", has_text="2032")).to_have_count(0, timeout=PAGE_READY_MS)
    assert_clean(page)


def test_a_bad_link_value_warns_in_the_page(page, app_url):
    open_workload(page, app_url, "lang=en&wl_target=abc")
    expect(page.locator("[data-testid=stAlert]").filter(has_text="wl_target")).to_be_visible()
    assert "wl_target" not in page.url
    assert_clean(page)


def test_chart_toolbar_tooltips_follow_the_page_language(page, app_url):
    """plotly.js reads the modebar's strings from config.locales: Chinese on a zh page, plotly's own on en."""
    for lang in ("zh", "en"):
        page.goto(f"{app_url}/{PAGES_BY_ID['workload'].url_path}?lang={lang}")
        page.get_by_role("heading", name=t("page.workload.title", lang)).wait_for(timeout=PAGE_READY_MS)
        chart = page.locator(".atlas-plot").first
        chart.locator(".main-svg").first.wait_for(timeout=PAGE_READY_MS)
        titles = chart.locator(".modebar-btn").evaluate_all("buttons => buttons.map(b => b.getAttribute('data-title'))")
        assert t("modebar.zoom_in", lang) in titles and t("modebar.autoscale", lang) in titles, titles
        if lang == "zh":
            assert "Zoom in" not in titles and "Reset axes" not in titles, titles
    assert_clean(page)
