"""Every page's first numeric scenario parameter, in both languages: moved by keyboard, it reruns the page
without an error, writes itself into the URL, and that URL reopens the page with the moved value.

Generic over analysis.sitemap.PAGES and the parameters each page declares (`Param(..., page_id=...)`),
so a new page with sliders is covered without a line here.
"""

from __future__ import annotations

import json
import re

import pytest

from analysis.i18n import LANGS, t
from analysis.scenario import params_for_page
from analysis.sitemap import PAGES

PAGE_READY_MS = 60_000
BENIGN_CONSOLE = re.compile(r"Failed to load resource: the server responded with a status of 404")
NUMERIC_KINDS = ("int", "float")
IDLE_JS = """() => { const a = document.querySelector('[data-testid="stApp"]');
  return a && a.getAttribute('data-test-script-state') === 'notRunning'; }"""


def first_slider_param(page_id: str):
    numeric = [p for p in params_for_page(page_id) if p.kind in NUMERIC_KINDS]
    return numeric[0] if numeric else None


CASES = [
    pytest.param(page, param, lang, id=f"{page.page_id}-{param.name}-{lang}")
    for page in PAGES
    if (param := first_slider_param(page.page_id)) is not None
    for lang in LANGS
]


def page_link(app_url: str, page, lang: str, query: str = "") -> str:
    params = [q for q in (query, "" if lang == "zh" else f"lang={lang}") if q]
    return f"{app_url}/{page.url_path}" + (f"?{'&'.join(params)}" if params else "")


def slider_for(page, param, lang):
    label = t(param.label_key, lang) if param.label_key else param.name
    # Streamlit's slider is a visually hidden <input type=range> carrying the label as aria-label.
    return page.locator(f"[data-testid=stSlider] input[type=range][aria-label={json.dumps(label, ensure_ascii=False)}]").first


# Defined only when some page declares a slider: an empty parameter list would report a skipped test.
if CASES:

    @pytest.mark.parametrize("target, param, lang", CASES)
    def test_first_slider_moves_by_keyboard_into_the_url(page, app_url, target, param, lang):
        page.goto(page_link(app_url, target, lang))
        page.locator("h1").first.wait_for(timeout=PAGE_READY_MS)
        slider = slider_for(page, param, lang)
        slider.wait_for(state="attached", timeout=PAGE_READY_MS)
        page.wait_for_function(IDLE_JS, timeout=PAGE_READY_MS)
        before = float(slider.input_value())
        at_top = param.max_value is not None and before >= param.max_value
        slider.focus()
        page.keyboard.press("ArrowLeft" if at_top else "ArrowRight")

        page.wait_for_url(re.compile(rf"[?&]{re.escape(param.name)}="), timeout=PAGE_READY_MS)
        page.wait_for_function(IDLE_JS, timeout=PAGE_READY_MS)
        moved = float(slider.input_value())
        assert moved != before
        assert page.locator("[data-testid=stException]").count() == 0
        assert [m for m in page.console_errors if not BENIGN_CONSOLE.search(m)] == []

        # The URL is the view: opening it fresh shows the moved value.
        shared = page.url
        page.goto(shared)
        page.locator("h1").first.wait_for(timeout=PAGE_READY_MS)
        reopened = slider_for(page, param, lang)
        reopened.wait_for(state="attached", timeout=PAGE_READY_MS)
        assert float(reopened.input_value()) == pytest.approx(moved)
        assert page.locator("[data-testid=stException]").count() == 0
