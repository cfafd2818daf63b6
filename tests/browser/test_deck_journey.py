"""A user's path: move the market's CAGR slider, go to the briefing page by the sidebar, build the deck,
download it, and find the same scenario number for 2030 in the deck as on the market page's chart."""

from __future__ import annotations

import re

from pptx import Presentation

from analysis.i18n import t
from analysis.scenario import all_params
from analysis.sitemap import PAGES_BY_ID

from .test_briefing import build_pack
from .test_deeplinks import PAGE_READY_MS, deep_link
from .test_market import _scenario_line, _slider

YEAR = "2030"


def _market_slide(deck, title: str):
    for slide in deck.slides:
        if slide.shapes.title is not None and slide.shapes.title.text_frame.text == title:
            return slide
    raise AssertionError(f"no slide titled {title!r}")


def test_a_moved_cagr_reaches_the_deck(page, app_url, tmp_path):
    page.goto(deep_link(app_url, PAGES_BY_ID["market"], "en"))
    page.locator("h1").first.wait_for(timeout=PAGE_READY_MS)
    title, scenario = t("market.chart.market.title", "en"), t("market.line.scenario", "en")
    before = _scenario_line(page, title, scenario)
    slider = _slider(page, t("market.param.mkt_cagr", "en"))
    slider.focus()
    slider.press("ArrowRight")
    moved = all_params()["mkt_cagr"].default + 0.5
    page.wait_for_url(re.compile(rf"[?&]mkt_cagr={re.escape(f'{moved:g}')}(&|$)"), timeout=PAGE_READY_MS)
    page.wait_for_function(
        "([title, name, old]) => { const plain = (s) => (s || '').replace(/<[^>]+>/g, '').replace(/\\s+/g, '');"
        " const p = [...document.querySelectorAll('.js-plotly-plot')].find(p => p.layout && plain((p.layout.meta && p.layout.meta.title) || p.layout.title.text) === plain(title));"
        " const tr = p && (p._fullData || []).find(d => d.name === name);"
        " return tr && Array.from(tr.y).some((v, i) => v !== old[i]); }",
        arg=[title, scenario, before],
        timeout=PAGE_READY_MS,
    )
    on_page = _scenario_line(page, title, scenario)[-1]
    assert on_page != before[-1]

    # To the briefing page as a user goes: the sidebar link, which carries the scenario.
    page.locator("[data-testid=stSidebar] a[href^='briefing']").click()
    page.get_by_role("heading", name=t("page.briefing.title", "en")).wait_for(timeout=PAGE_READY_MS)
    assert f"mkt_cagr={moved:g}" in page.url
    build_pack(page)
    with page.expect_download() as info:
        page.get_by_role("button", name=t("briefing.download_pptx", "en")).click()
    target = tmp_path / "deck.pptx"
    info.value.save_as(target)

    slide = _market_slide(Presentation(str(target)), title)
    chart = next(shape.chart for shape in slide.shapes if shape.has_chart)
    categories = list(chart.plots[0].categories)
    series = next(s for s in chart.plots[0].series if s.name == scenario)
    in_deck = series.values[categories.index(YEAR)]
    assert in_deck == on_page, f"deck {in_deck} vs page {on_page} for {YEAR}"
    assert page.locator("[data-testid=stException]").count() == 0
