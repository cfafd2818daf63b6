"""Journeys a user takes through the app, walked in Chromium in both languages (not page loads).

- switch the language on every page, then move the page's first slider and pick from its first choice widget;
- save a scenario, reload its URL, open it from another page;
- import the template with two rows filled;
- click a point on the regions map and a node of the industry chart.
"""

from __future__ import annotations

import re

import pytest

from analysis.i18n import LANGS, t
from analysis.sitemap import PAGES, PAGES_BY_ID

PAGE_READY_MS = 60_000
OTHER_LANG = {"zh": "en", "en": "zh"}
BENIGN_CONSOLE = re.compile(r"Failed to load resource: the server responded with a status of 404")
IDLE_JS = """() => { const a = document.querySelector('[data-testid="stApp"]');
  return a && a.getAttribute('data-test-script-state') === 'notRunning'; }"""
CHOICE_WIDGETS = ",".join(
    f"[data-testid=stMain] [data-testid={name}]" for name in ("stSelectbox", "stMultiSelect", "stRadio", "stButtonGroup")
)
LANG_BUTTON = {"zh": "中文", "en": "English"}


def link(app_url: str, page_id: str, lang: str, query: str = "") -> str:
    params = [q for q in (query, "" if lang == "zh" else f"lang={lang}") if q]
    return f"{app_url}/{PAGES_BY_ID[page_id].url_path}" + (f"?{'&'.join(params)}" if params else "")


def settle(page) -> None:
    """Wait until the script has run (the app marks itself 'notRunning') and the page has no running spinner."""
    page.wait_for_timeout(300)  # let a rerun start before asking whether it finished
    page.wait_for_function(IDLE_JS, timeout=PAGE_READY_MS)


def no_error(page) -> None:
    exceptions = page.locator("[data-testid=stException]")
    assert exceptions.count() == 0, exceptions.first.inner_text()[:500]
    assert [m for m in page.console_errors if not BENIGN_CONSOLE.search(m)] == []


def open_page(page, url: str) -> None:
    page.goto(url)
    page.locator("h1").first.wait_for(timeout=PAGE_READY_MS)
    settle(page)


def switch_language(page, to_lang: str) -> None:
    page.locator("[data-testid=stSidebar]").get_by_role("radio", name=LANG_BUTTON[to_lang]).click()
    if to_lang == "zh":
        page.wait_for_url(lambda url: "lang=" not in url, timeout=PAGE_READY_MS)
    else:
        page.wait_for_url(re.compile(rf"[?&]lang={to_lang}"), timeout=PAGE_READY_MS)
    settle(page)


def move_first_slider(page) -> bool:
    sliders = page.locator("[data-testid=stMain] [data-testid=stSlider] input[type=range]:not([disabled])")
    if sliders.count() == 0:
        return False
    slider = sliders.first
    before = slider.input_value()
    slider.focus()
    page.keyboard.press("ArrowRight")
    settle(page)
    no_error(page)
    if slider.input_value() == before:  # at its maximum
        slider.focus()
        page.keyboard.press("ArrowLeft")
        settle(page)
    return True


def pick_from_first_choice(page) -> bool:
    """Open the main area's first choice widget and choose an option other than the current one."""
    widgets = page.locator(CHOICE_WIDGETS)
    if widgets.count() == 0:
        return False
    widget = widgets.first
    widget.scroll_into_view_if_needed()
    testid = widget.get_attribute("data-testid")
    if testid in ("stRadio", "stButtonGroup"):
        widget.locator("label, button").last.click()
    else:
        widget.locator("[role=combobox], input").first.click()
        options = page.locator("[role=listbox] [role=option]")
        options.first.wait_for(timeout=PAGE_READY_MS)
        options.nth(options.count() - 1).click()
        page.keyboard.press("Escape")
    settle(page)
    return True


SWITCH_CASES = [pytest.param(p.page_id, lang, id=f"{p.page_id}-{lang}") for p in PAGES for lang in LANGS]


@pytest.mark.parametrize("page_id, lang", SWITCH_CASES)
def test_language_switch_then_widgets(page, app_url, page_id, lang):
    """A choice widget's session value must not be a label of the language the user just left."""
    open_page(page, link(app_url, page_id, lang))
    other = OTHER_LANG[lang]
    switch_language(page, other)
    heading = "home.title" if page_id == "home" else PAGES_BY_ID[page_id].title_key
    assert page.locator("h1").first.inner_text().strip() == t(heading, other)
    no_error(page)
    move_first_slider(page)
    no_error(page)
    pick_from_first_choice(page)
    no_error(page)
    page.keyboard.press("r")  # a plain rerun, as after an edit or a data refresh
    settle(page)
    no_error(page)
    # Every choice widget still shows a label of the new language: none is left in the old one.
    shown = " ".join(page.locator(CHOICE_WIDGETS).all_inner_texts())
    old_only = _labels_only_in(lang, other)
    assert not [label for label in old_only if label in shown]


def _labels_only_in(lang: str, other: str) -> list[str]:
    """Choice labels of the scenario parameters in `lang` that do not occur in `other`."""
    from analysis.scenario import all_params

    labels = []
    for param in all_params().values():
        if param.kind == "choice":
            for choice in param.choices:
                text = t(f"{param.label_key}.{choice}", lang)
                if text != t(f"{param.label_key}.{choice}", other):
                    labels.append(text)
    return labels
