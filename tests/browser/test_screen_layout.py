"""Charts on screen at a desktop's 1400 px and a phone's 390 px, in both languages, measured in Chromium.

One responsive figure serves both (analysis.chart_layout.screen_layout): the title is the page's text, one line
on a desktop; the plot keeps a sensible share of the figure; no text of the figure runs out of it or under the
legend; the source line is said once, readable; and a series on another definition than the report's stays off
the axis until its legend entry is clicked.
"""

from __future__ import annotations

import pytest

from analysis.i18n import LANGS, t
from analysis.sitemap import PAGES_BY_ID

from .test_deeplinks import deep_link
from .test_phone import inside, open_page, overlap

DESKTOP = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}
MIN_SOURCE_PX = 11
# The plot's share of its figure: a desktop column has room; a phone stacks the legend's entries one per row.
MIN_PLOT_SHARE = {"desktop": 0.5, "phone": 0.3}
PAGES_MEASURED = ("market", "cycle", "workload")

CHARTS_JS = """
() => [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.getBoundingClientRect().width > 0).map(p => {
  const box = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 ? [r.left, r.top, r.right, r.bottom] : null; };
  const svg = box(p.querySelector('.main-svg'));
  const plots = [...p.querySelectorAll('.nsewdrag')].map(box).filter(Boolean);
  const texts = [...p.querySelectorAll('.main-svg text')].filter(el => (el.textContent || '').trim())
    .map(el => ({text: el.textContent.trim().slice(0, 40), box: box(el)})).filter(x => x.box);
  const legend = p.querySelector('.legend');
  const element = p.closest('[data-testid=stElementContainer]') || p.closest('.atlas-plot') || p;
  let title = null;
  for (let el = element.previousElementSibling; el; el = el.previousElementSibling) {
    const block = el.matches('[class*="-title"]') ? el : el.querySelector('[class*="-title"]');
    const para = block && block.querySelector('p');
    if (para) { const lh = parseFloat(getComputedStyle(para).lineHeight);
      title = {text: para.textContent, lines: Math.round(para.getBoundingClientRect().height / lh)}; }
    break;
  }
  const modebar = p.querySelector('.modebar');
  return {svg, plots, texts, legend: legend ? box(legend) : null, title, modebar: modebar ? box(modebar) : null,
          offAxis: (p.data || []).some(d => d.meta && d.meta.comparability)};
})
"""
SOURCES_JS = """
(prefix) => [...document.querySelectorAll('[data-testid=stCaptionContainer]')]
  .filter(el => el.textContent.trim().startsWith(prefix))
  .map(el => parseFloat(getComputedStyle(el.querySelector('p') || el).fontSize))
"""
Y_TOP_JS = """(i) => { const p = [...document.querySelectorAll('.js-plotly-plot')][i]; return p._fullLayout.yaxis.range[1]; }"""


@pytest.fixture(params=["desktop", "phone"])
def screen(request, browser):
    size = DESKTOP if request.param == "desktop" else PHONE
    context = browser.new_context(viewport=size, device_scale_factor=1, is_mobile=request.param == "phone")
    page = context.new_page()
    page.screen_kind = request.param
    yield page
    context.close()


def chart_problems(chart: dict, kind: str) -> list[str]:
    problems, svg = [], chart["svg"]
    name = (chart["title"] or {}).get("text", "(untitled)")[:40]
    for text in chart["texts"]:
        if not inside(text["box"], svg):
            problems.append(f"{name}: {text['text']!r} runs out of the figure {text['box']} / {svg}")
    if chart["legend"]:
        for plot in chart["plots"]:
            if overlap(chart["legend"], plot):
                problems.append(f"{name}: the legend covers the plot")
        if chart["modebar"] and overlap(chart["legend"], chart["modebar"]):
            problems.append(f"{name}: the toolbar covers the legend")
    if chart["plots"]:
        plot_px = max(p[3] for p in chart["plots"]) - min(p[1] for p in chart["plots"])
        share = plot_px / (svg[3] - svg[1])
        if share < MIN_PLOT_SHARE[kind]:
            problems.append(f"{name}: the plot is {share:.0%} of the figure's height")
    title = chart["title"]
    if title is None:
        problems.append(f"{name}: no title above the chart")
    elif kind == "desktop" and title["lines"] != 1:
        problems.append(f"{name}: the title takes {title['lines']} lines on a desktop")
    return problems


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page_id", PAGES_MEASURED)
def test_charts_fit_the_screen(screen, app_url, page_id, lang):
    open_page(screen, deep_link(app_url, PAGES_BY_ID[page_id], lang))
    charts = screen.evaluate(CHARTS_JS)
    assert charts, "no chart on the page"
    problems = [p for chart in charts for p in chart_problems(chart, screen.screen_kind)]
    assert problems == []
    prefix = t("chart.source_line", lang, sources="\x00").split("\x00")[0]
    sizes = screen.evaluate(SOURCES_JS, prefix)
    assert len(sizes) == len(charts), "not one source line per chart"
    assert min(sizes) >= MIN_SOURCE_PX


@pytest.mark.parametrize("lang", LANGS)
def test_another_definition_is_off_the_axis_until_its_legend_entry_is_clicked(screen, app_url, lang):
    open_page(screen, deep_link(app_url, PAGES_BY_ID["market"], lang))
    charts = screen.evaluate(CHARTS_JS)
    index = next(i for i, chart in enumerate(charts) if chart["offAxis"])
    before = screen.evaluate(Y_TOP_JS, index)
    label = "".join(t("later.comparability.definitional_break", lang).split())
    entries = screen.locator(".js-plotly-plot").nth(index).locator(".legend .traces")
    entry = next(i for i in range(entries.count()) if label in "".join((entries.nth(i).text_content() or "").split()))
    entries.nth(entry).locator(".legendtoggle").click()
    changed = "([i, before]) => [...document.querySelectorAll('.js-plotly-plot')][i]._fullLayout.yaxis.range[1] !== before"
    screen.wait_for_function(changed, arg=[index, before], timeout=10_000)
    after = screen.evaluate(Y_TOP_JS, index)
    # IDC's re-scoped series reaches USD 222.7 bn (2,227 亿美元): shown, it sets the axis; hidden, the report's do.
    assert after > 2.5 * before


GUIDE_CUT_JS = """
() => [...document.querySelectorAll('[data-testid=stMain] [data-testid=stPageLink-NavLink] :is(p, span)')]
  .filter(el => el.children.length === 0 && el.scrollWidth > el.clientWidth + 1).map(el => el.textContent)
"""


@pytest.mark.parametrize("lang", LANGS)
def test_the_home_pages_guide_cards_show_whole_page_names(screen, app_url, lang):
    """Streamlit cut a page link at its card's width ("China's intelligent compu…"): the names wrap."""
    open_page(screen, deep_link(app_url, PAGES_BY_ID["home"], lang))
    assert screen.locator("[data-testid=stMain] [data-testid=stPageLink-NavLink]").count() > 0
    assert screen.evaluate(GUIDE_CUT_JS) == []
