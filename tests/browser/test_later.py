"""In Chromium: the later figures are drawn on the intelligent-compute chart, one click sets the CAGR to the
rate they imply (URL included), and the Forecast-vs-actual page shows the report card in Chinese."""

from __future__ import annotations

import re

from analysis.i18n import t

from .test_deeplinks import PAGE_READY_MS

# fit_layout wraps long titles and legend entries onto lines (<br>): compare them without tags and spaces.
TRACE_NAMES_JS = """
(title) => {
  const plain = (text) => (text || '').replace(/<[^>]+>/g, '').replace(/\\s+/g, '');
  const plot = [...document.querySelectorAll('.js-plotly-plot')].find(p => p.layout && plain((p.layout.meta && p.layout.meta.title) || p.layout.title.text) === plain(title));
  return plot ? (plot._fullData || []).map(d => plain(d.name)) : null;
}
"""


def _plain(text: str) -> str:
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", text))


def _trace_names(page, title: str) -> list[str]:
    page.wait_for_function(f"(t) => ({TRACE_NAMES_JS})(t) !== null", arg=title, timeout=PAGE_READY_MS)
    return page.evaluate(TRACE_NAMES_JS, title)


def test_later_vintages_are_drawn_and_one_click_sets_the_implied_cagr(page, app_url):
    page.goto(f"{app_url}/intelligent_compute?lang=en")
    page.locator("h1").first.wait_for(timeout=PAGE_READY_MS)
    names = _trace_names(page, t("market.chart.icc.title", "en", horizon=2030))
    vintage = t("later.legend.vintage", "en", vintage="IDC; Inspur Information · 2025-02")
    assert _plain(vintage) in names and _plain(t("later.legend.actuals", "en")) in names
    # ((1460.3 / 155.2)^(1/5) − 1) = 56.6% a year, on the slider's 0.5 grid
    page.get_by_role("button", name=t("later.implied.button", "en", cagr="56.5")).click()
    page.wait_for_url(re.compile(r"[?&]icc_cagr=56\.5(&|$)"), timeout=PAGE_READY_MS)
    assert not page.locator("[data-testid=stException]").count()


def test_report_card_page_in_chinese(page, app_url):
    page.goto(f"{app_url}/scorecard")
    page.locator("h1").first.wait_for(timeout=PAGE_READY_MS)
    page.get_by_text(t("card.heading", "zh")).wait_for(timeout=PAGE_READY_MS)
    page.get_by_text(t("card.verdict_break", "zh", year=2025), exact=False).first.wait_for(timeout=PAGE_READY_MS)
    # A lower bound reads as one ("more than 2.7 million": at least 41% above the report's derived path).
    bound = t("card.judge.at_least_above", "zh", target=t("card.target.path", "zh"), amount="41%")
    page.get_by_text(bound, exact=False).first.wait_for(timeout=PAGE_READY_MS)
    assert _trace_names(page, t("card.chart.title", "zh"))
    assert not page.locator("[data-testid=stException]").count()
