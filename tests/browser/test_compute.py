"""The compute calculator in Chromium: sliders moved by keyboard change the outputs, the chart and the URL."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from analysis.i18n import t
from analysis.sitemap import PAGES_BY_ID

PAGE_READY_MS = 60_000
BENIGN_CONSOLE = re.compile(r"Failed to load resource: the server responded with a status of 404")


def open_calculator(page, app_url: str, query: str = "lang=en"):
    page.goto(f"{app_url}/{PAGES_BY_ID['compute'].url_path}?{query}")
    page.get_by_role("heading", name=t("page.compute.title", "en")).wait_for(timeout=PAGE_READY_MS)
    chart = page.locator(".atlas-plot").first
    chart.locator(".main-svg").first.wait_for(timeout=PAGE_READY_MS)
    return chart


def slider(page, label_key: str):
    widget = page.locator("[data-testid=stSlider]").filter(has_text=t(label_key, "en"))
    return widget.get_by_role("slider")


def metric(page, label: str):
    return page.locator("[data-testid=stMetric]").filter(has_text=label).locator("[data-testid=stMetricValue]")


def assert_clean(page):
    assert page.locator("[data-testid=stException]").count() == 0
    assert [m for m in page.console_errors if not BENIGN_CONSOLE.search(m)] == []
    assert page.external_requests == []


def test_run_length_by_keyboard_moves_the_output_the_chart_and_the_url(page, app_url):
    chart = open_calculator(page, app_url)
    expect(chart.get_by_text(t("compute.chart.tradeoff.choice", "en", days=30))).to_be_visible()
    expect(metric(page, t("compute.card.gpus_for_days", "en", days=30))).to_have_text("1,167 GPUs")
    thumb = slider(page, "compute.days")
    thumb.focus()
    thumb.press("ArrowRight")  # one step: 30 → 31 days
    page.wait_for_url(re.compile(r"[?&]cmp_days=31"), timeout=PAGE_READY_MS)
    # 35,000 A100-days ÷ 31 days = 1,129 A100; the chart marks the new run length.
    expect(metric(page, t("compute.card.gpus_for_days", "en", days=31))).to_have_text("1,129 GPUs", timeout=PAGE_READY_MS)
    expect(chart.get_by_text(t("compute.chart.tradeoff.choice", "en", days=31))).to_be_visible(timeout=PAGE_READY_MS)
    assert "lang=en" in page.url
    assert_clean(page)


def legend_entry(name: str) -> re.Pattern:
    """A legend entry as drawn: fit_layout wraps long names onto lines (tspans), which join without spaces."""
    return re.compile("^" + r"\s*".join(re.escape(word) for word in name.split()) + "$")


def test_utilisation_by_keyboard_moves_gpu_days_and_the_chart(page, app_url):
    chart = open_calculator(page, app_url)
    gpu_days = metric(page, t("compute.card.gpu_days", "en"))
    expect(gpu_days).to_have_text("35,000 GPU-days")
    series = t("compute.chart.tradeoff.series", "en", chip=t("compute.chip.a100", "en"), util="{util}")
    expect(chart.get_by_text(legend_entry(series.format(util="33.3%")))).to_be_visible()
    thumb = slider(page, "compute.util")
    thumb.focus()
    thumb.press("ArrowRight")  # one step onto the slider's grid of whole points: 33.3% → 34%
    page.wait_for_url(re.compile(r"[?&]cmp_util_pct=34(?![\d.])"), timeout=PAGE_READY_MS)
    expect(gpu_days).to_have_text("34,314 GPU-days", timeout=PAGE_READY_MS)  # 3640 × 1000 ÷ (312 × 0.34)
    expect(chart.get_by_text(legend_entry(series.format(util="34%")))).to_be_visible(timeout=PAGE_READY_MS)
    assert_clean(page)


def test_a_chip_with_unknown_peak_in_a_link_says_so(page, app_url):
    open_calculator(page, app_url, "lang=en&cmp_chip=moffett_s30")
    alert = page.locator("[data-testid=stAlert]").filter(has_text="Moffett S30")
    expect(alert).to_be_visible()
    expect(metric(page, t("compute.card.gpu_days", "en"))).to_have_text("35,000 GPU-days")
    assert_clean(page)


def test_gpu_slider_prints_thousands_separators(page, app_url):
    """The slider reads 1,024 as the help text and tables do, not 1024 (sprintf.js's ',' flag)."""
    open_calculator(page, app_url)
    widget = page.locator("[data-testid=stSlider]").filter(has_text=t("compute.gpus", "en"))
    expect(widget.get_by_role("slider")).to_have_attribute("aria-valuetext", re.compile(r"^1,024"), timeout=PAGE_READY_MS)
    expect(widget).to_contain_text("50,000")  # the upper end of the range, too
    assert_clean(page)
