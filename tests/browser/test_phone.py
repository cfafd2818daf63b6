"""Every page on a 390 px phone, in both languages: nothing written overlaps its neighbour.

Checked from the laid-out boxes in Chromium: in every chart, the title clear of the toolbar and inside the
figure, the legend clear of the title, the plot, the axis titles and the source line, the source line inside
the figure; on the page, headings and captions clear of each other and of the charts; no chart wider than
the screen; the map showing the whole of China. On a desktop width the sidebar's page names are not cut.
"""

from __future__ import annotations

import os

import pytest

from analysis.sitemap import PAGES

from .test_deeplinks import PAGE_READY_MS, deep_link

PHONE = {"width": 390, "height": 844}
SETTLE_MS = 1500  # plotly lays a figure out again once its container has its final width
SCREENSHOT_DIR = os.environ.get("PHONE_SCREENSHOTS")  # set to a folder to keep a picture of every page

# Boxes are [left, top, right, bottom] in CSS pixels; two boxes overlap when they share more than a pixel.
CHART_BOXES_JS = """
() => {
  const box = (el) => { if (!el) return null; const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 ? [r.left, r.top, r.right, r.bottom] : null; };
  return [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.getBoundingClientRect().width > 0).map(p => {
    const svg = p.querySelector('.main-svg');
    const texts = (sel) => [...p.querySelectorAll(sel)].map(box).filter(Boolean);
    const source = [...p.querySelectorAll('.annotation')].filter(a => /^(Source|来源)/.test(a.textContent.trim()));
    let mapBounds = null;
    const sub = p._fullLayout && p._fullLayout.map && p._fullLayout.map._subplot;
    if (sub && sub.map) { const b = sub.map.getBounds(); mapBounds = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }
    return {
      title: (p.layout && ((p.layout.meta && p.layout.meta.title) || (p.layout.title && p.layout.title.text)) || '').replace(/<[^>]+>/g, ' '),
      figure: box(svg), titleBox: box(p.querySelector('.g-gtitle')), modebar: box(p.querySelector('.modebar')),
      legend: box(p.querySelector('.legend')), plots: texts('.nsewdrag'), axisTitles: texts('.g-xtitle, .g-ytitle'),
      source: source.map(box).filter(Boolean), mapBounds,
    };
  });
}
"""
PAGE_TEXT_JS = """
() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 ? [r.left, r.top, r.right, r.bottom] : null; };
  const main = document.querySelector('[data-testid=stMain]');
  const items = [...main.querySelectorAll('h1, h2, h3, [data-testid=stCaptionContainer], .js-plotly-plot')]
    .map(el => ({what: el.tagName === 'DIV' && el.classList.contains('js-plotly-plot') ? 'chart' : (el.textContent || '').slice(0, 40), box: box(el)}))
    .filter(i => i.box);
  return {items, width: window.innerWidth};
}
"""
SIDEBAR_CUT_JS = """
() => [...document.querySelectorAll('[data-testid=stSidebar] [data-testid=stPageLink-NavLink] :is(p, span)')]
  .filter(el => el.children.length === 0 && el.scrollWidth > el.clientWidth + 1).map(el => el.textContent)
"""
CHINA = (73.5, 18.2, 135.0, 53.5)  # west, south, east, north: every province and the South China Sea inset


def overlap(a, b, slack: float = 1.0) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > slack and min(a[3], b[3]) - max(a[1], b[1]) > slack


def inside(inner, outer, slack: float = 1.0) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def chart_problems(chart: dict) -> list[str]:
    name, problems = chart["title"][:40] or "(untitled chart)", []
    figure, title, legend = chart["figure"], chart["titleBox"], chart["legend"]
    if title:
        if not inside(title, figure):
            problems.append(f"{name}: title runs out of the figure {title} / {figure}")
        if chart["modebar"] and overlap(title, chart["modebar"]):
            problems.append(f"{name}: title under the toolbar")
    for source in chart["source"]:
        if not inside(source, figure):
            problems.append(f"{name}: source line cut by the figure's edge {source} / {figure}")
    if legend:
        for other, label in [
            (title, "title"),
            *[(p, "plot") for p in chart["plots"]],
            *[(a, "axis title") for a in chart["axisTitles"]],
        ]:
            if other and overlap(legend, other):
                problems.append(f"{name}: legend covers the {label}")
        for source in chart["source"]:
            if overlap(legend, source):
                problems.append(f"{name}: legend covers the source line")
    if chart["mapBounds"]:
        west, south, east, north = chart["mapBounds"]
        if not (west <= CHINA[0] and south <= CHINA[1] and east >= CHINA[2] and north >= CHINA[3]):
            problems.append(f"{name}: the map shows {chart['mapBounds']}, not the whole of China {CHINA}")
    return problems


def page_problems(layout: dict) -> list[str]:
    problems, items = [], layout["items"]
    for i, a in enumerate(items):
        if a["box"][2] > layout["width"] + 1 and a["what"] == "chart":
            problems.append(f"a chart is wider than the screen: {a['box']}")
        for b in items[i + 1 :]:
            nested = inside(a["box"], b["box"]) or inside(b["box"], a["box"])
            if not nested and overlap(a["box"], b["box"]):
                problems.append(f"{a['what']!r} overlaps {b['what']!r}")
    return problems


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


# The script has finished and no element is still a loading placeholder.
IDLE_JS = """() => { const app = document.querySelector('[data-testid=stApp]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-testid=stSkeleton]')
    && document.querySelectorAll('[data-testid=stSidebar] [data-testid=stPageLink-NavLink]').length > 0
    && [...document.querySelectorAll('.stBidiComponent')].every((element) => {
      const chart = element.querySelector('.atlas-plot');  // ui/plot_element.js: drawn, or waiting for a width
      return chart && (chart.dataset.state === 'drawn' || chart.dataset.state === 'waiting'); }); }"""


def open_page(page, url: str) -> None:
    page.goto(url)
    page.locator("h1").first.wait_for(timeout=PAGE_READY_MS)
    page.wait_for_function(IDLE_JS, timeout=PAGE_READY_MS)
    page.wait_for_timeout(SETTLE_MS)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("site_page", PAGES, ids=lambda p: p.page_id)
def test_nothing_overlaps_on_a_phone(phone, app_url, site_page, lang):
    open_page(phone, deep_link(app_url, site_page, lang))
    charts = phone.evaluate(CHART_BOXES_JS)
    problems = [p for chart in charts for p in chart_problems(chart)] + page_problems(phone.evaluate(PAGE_TEXT_JS))
    if SCREENSHOT_DIR:
        phone.screenshot(path=os.path.join(SCREENSHOT_DIR, f"{site_page.page_id}_{lang}.png"), full_page=True, timeout=120_000)
    assert phone.locator("[data-testid=stException]").count() == 0
    assert problems == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sidebar_page_names_are_not_cut_on_a_desktop(page, app_url, lang):
    open_page(page, deep_link(app_url, PAGES[0], lang))
    assert page.evaluate(SIDEBAR_CUT_JS) == []
