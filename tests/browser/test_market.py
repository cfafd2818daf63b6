"""In Chromium: a CAGR slider moved by keyboard redraws the chart and the table and writes the URL,
and that URL reopens the same view."""

from __future__ import annotations

import re

from analysis.i18n import t
from analysis.scenario import all_params

from .test_deeplinks import BENIGN_CONSOLE, PAGE_READY_MS

# Streamlit's theme wraps chart titles in <b>, and long titles are broken into lines with <br>; compare the
# text without tags and spaces. Plotly sends arrays base64-encoded,
# so the numbers are read from the decoded traces (_fullData).
SCENARIO_LINE_JS = r"""
([title, name]) => {
  const plain = (text) => (text || '').replace(/<[^>]+>/g, '').replace(/\s+/g, '');
  const plot = [...document.querySelectorAll('.js-plotly-plot')].find(p => p.layout && plain((p.layout.meta && p.layout.meta.title) || p.layout.title.text) === plain(title));
  if (!plot) return null;
  const trace = (plot._fullData || []).find(d => d.name === name);
  return trace ? Array.from(trace.y) : null;
}
"""


def _scenario_line(page, title: str, name: str):
    page.wait_for_function(f"(args) => ({SCENARIO_LINE_JS})(args) !== null", arg=[title, name], timeout=PAGE_READY_MS)
    return page.evaluate(SCENARIO_LINE_JS, [title, name])


def _slider(page, label: str):
    block = page.locator("[data-testid=stSlider]").filter(has_text=label)
    return block.get_by_role("slider")


# The data grid paints on a canvas; its accessible <table> mirrors the visible cells.
TABLE_TEXT_JS = "(i) => { const t = document.querySelectorAll('[data-testid=stDataFrame]')[i]?.querySelector('table'); return t ? t.textContent : null; }"


def _table_text(page, index: int) -> str:
    page.wait_for_function(f"(i) => ({TABLE_TEXT_JS})(i) !== null", arg=index, timeout=PAGE_READY_MS)
    return page.evaluate(TABLE_TEXT_JS, index)


def test_cagr_slider_by_keyboard_redraws_chart_table_and_url(page, app_url):
    page.goto(f"{app_url}/market?lang=en")
    page.locator("h1").first.wait_for(timeout=PAGE_READY_MS)
    title, scenario = t("market.chart.market.title", "en"), t("market.line.scenario", "en")
    before = _scenario_line(page, title, scenario)
    table_before = _table_text(page, 0)

    slider = _slider(page, t("market.param.mkt_cagr", "en"))
    default = all_params()["mkt_cagr"].default
    assert float(slider.input_value()) == default
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_url(re.compile(r"[?&]mkt_cagr=19\.5(&|$)"), timeout=PAGE_READY_MS)
    page.wait_for_function(
        f"([title, name, old]) => {{ const now = ({SCENARIO_LINE_JS})([title, name]); return now && now.some((v, i) => v !== old[i]); }}",
        arg=[title, scenario, before],
        timeout=PAGE_READY_MS,
    )
    after = _scenario_line(page, title, scenario)
    assert after[-1] > before[-1], "a higher CAGR should raise the scenario's last year"
    page.wait_for_function(f"([i, old]) => ({TABLE_TEXT_JS})(i) !== old", arg=[0, table_before], timeout=PAGE_READY_MS)

    # The URL reproduces the view in a fresh tab.
    copied = page.url
    other = page.context.new_page()
    other.goto(copied)
    other.locator("h1").first.wait_for(timeout=PAGE_READY_MS)
    assert float(_slider(other, t("market.param.mkt_cagr", "en")).input_value()) == default + 0.5
    assert _scenario_line(other, title, scenario) == after

    assert page.locator("[data-testid=stException]").count() == 0
    assert [m for m in page.console_errors if not BENIGN_CONSOLE.search(m)] == []
    assert page.external_requests == []


def test_intelligent_compute_page_loads_clean(page, app_url):
    page.goto(f"{app_url}/intelligent_compute")
    page.locator("h1").first.wait_for(timeout=PAGE_READY_MS)
    line = _scenario_line(page, t("market.chart.icc.title", "zh"), t("market.line.scenario", "zh"))
    assert line and line[0] > 0
    assert t("market.supplementary_badge", "zh") in page.locator("[data-testid=stMain]").inner_text()
    assert page.locator("[data-testid=stException]").count() == 0
    assert [m for m in page.console_errors if not BENIGN_CONSOLE.search(m)] == []
