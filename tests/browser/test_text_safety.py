"""In Chromium: a saved scenario whose name is HTML is drawn as its literal text in the comparison chart's
legend, never as a link (plotly renders <a href> in legend names)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis.i18n import t
from analysis.userstore import ScenarioStore

from .test_deeplinks import PAGE_READY_MS
from .test_journeys import link, no_error, open_page, settle

HOSTILE = '<a href="http://198.51.100.7/x">Bull case</a>'

# The comparison chart (found by its title, without the <b>/<br> the theme and wrapping add): how many <a>
# elements its legend holds, and the legend's entries as the reader sees them.
LEGEND_JS = r"""
(title) => {
  const plain = (text) => (text || '').replace(/<[^>]+>/g, '').replace(/\s+/g, '');
  const plot = [...document.querySelectorAll('.js-plotly-plot')].find(p => p.layout && plain((p.layout.meta && p.layout.meta.title) || p.layout.title.text) === plain(title));
  if (!plot || !plot.querySelector('g.legend')) return null;
  const legend = plot.querySelector('g.legend');
  return {links: legend.querySelectorAll('a').length + plot.querySelectorAll('.legend a, .hoverlayer a').length,
          entries: [...legend.querySelectorAll('text.legendtext')].map(e => e.textContent)};
}
"""


@pytest.fixture
def cleanup_scenario(tmp_path_factory):
    """The browser tests share one server and store: take the hostile scenario out again afterwards."""
    yield
    for folder in Path(tmp_path_factory.getbasetemp()).glob("browser-app*/userdata"):
        store = ScenarioStore(folder)
        if HOSTILE in store.names():
            store.delete(HOSTILE)


def test_a_scenario_named_with_a_link_is_drawn_as_text(page, app_url, cleanup_scenario):
    lang = "en"
    open_page(page, link(app_url, "market", lang))
    page.locator("[data-testid=stMain] [data-testid=stSlider] input[type=range]").first.wait_for(
        state="attached", timeout=PAGE_READY_MS
    )
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.locator("[data-testid=stExpander] summary").first.click()
    sidebar.get_by_label(t("scenario.name_label", lang)).fill(HOSTILE)
    sidebar.get_by_role("button", name=t("scenario.save", lang)).click()
    page.wait_for_url(re.compile(r"[?&]scenario=%3Ca"), timeout=PAGE_READY_MS)
    settle(page)
    no_error(page)
    open_page(page, page.url)  # a fresh visit: the comparison picks the saved scenarios by default

    title = t("market.compare.chart_title", lang, series=t("market.series.market", lang))
    page.wait_for_function(
        f"(title) => {{ const l = ({LEGEND_JS})(title); return l && l.entries.length > 1; }}", arg=title, timeout=PAGE_READY_MS
    )
    legend = page.evaluate(LEGEND_JS, title)
    assert legend["links"] == 0
    # A long entry is wrapped onto lines (one <tspan> each, joined here without their spaces).
    assert "".join(HOSTILE.split()) in ["".join(e.split()) for e in legend["entries"]], legend["entries"]
    no_error(page)
    assert page.external_requests == []
