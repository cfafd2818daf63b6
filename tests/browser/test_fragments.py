"""A slider inside a section (st.fragment) reruns that section only, and what it changes outside stays right:
the URL, and the sidebar's scenario line ("unsaved changes", back to the baseline)."""

from __future__ import annotations

import re

import pytest

from analysis.i18n import LANGS, t
from analysis.sitemap import PAGES_BY_ID

PAGE_READY_MS = 60_000
BENIGN_CONSOLE = re.compile(r"Failed to load resource: the server responded with a status of 404")
IDLE_JS = """() => { const a = document.querySelector('[data-testid="stApp"]');
  return a && a.getAttribute('data-test-script-state') === 'notRunning'; }"""
# Counts script runs, and the elements each run sends to the sidebar: a full run redraws the whole sidebar
# (links, language switch, scenario manager), a section's run only the scenario line.
RUNS_JS = "() => [window.__runs, window.__sidebarDeltas]"
TRACK_RUNS = """
(() => {
  window.__runs = 0; window.__sidebarDeltas = 0;
  const varint = (bytes, pos) => {
    let value = 0, shift = 0, byte;
    do { byte = bytes[pos++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
    return [value, pos];
  };
  // Top-level fields of a protobuf message: [[field number, start, end or varint value]].
  const fields = (bytes, start, end) => {
    const found = [];
    let pos = start;
    while (pos < end) {
      let key, length, value;
      [key, pos] = varint(bytes, pos);
      const wire = key & 7;
      if (wire === 0) { [value, pos] = varint(bytes, pos); found.push([key >> 3, value]); continue; }
      if (wire === 1) { pos += 8; continue; }
      if (wire === 5) { pos += 4; continue; }
      if (wire !== 2) break;
      [length, pos] = varint(bytes, pos);
      found.push([key >> 3, pos, pos + length]);
      pos += length;
    }
    return found;
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        if (!(event.data instanceof ArrayBuffer)) return;
        const bytes = new Uint8Array(event.data);
        const top = fields(bytes, 0, bytes.length);
        // ForwardMsg: 4 new_session (one per script run), 5 delta, 2 metadata (its field 2: the delta's path,
        // whose first number is the root container, 1 = the sidebar).
        if (top.some(([field]) => field === 4)) window.__runs++;
        const metadata = top.find(([field]) => field === 2);
        if (!metadata || !top.some(([field]) => field === 5)) return;
        const path = fields(bytes, metadata[1], metadata[2]).find(([field]) => field === 2);
        if (path && path.length === 3 && varint(bytes, path[1])[0] === 1) window.__sidebarDeltas++;
      });
    }
  };
})();
"""


def sidebar_line(page) -> str:
    return page.locator("[data-testid=stSidebar]").inner_text()


@pytest.mark.parametrize("lang", LANGS)
def test_a_slider_in_a_section_keeps_the_url_and_the_sidebar_right(page, app_url, lang):
    page.add_init_script(TRACK_RUNS)
    query = "" if lang == "zh" else "?lang=en"
    page.goto(f"{app_url}/{PAGES_BY_ID['market'].url_path}{query}")
    slider = page.locator("[data-testid=stMain] [data-testid=stSlider] input[type=range]").first
    slider.wait_for(state="attached", timeout=PAGE_READY_MS)
    page.wait_for_function(IDLE_JS, timeout=PAGE_READY_MS)
    baseline = t("scenario.heading", lang, name=t("scenario.baseline", lang))
    unsaved = t("scenario.heading", lang, name=t("scenario.unsaved", lang))
    assert baseline in sidebar_line(page)
    runs_before, sidebar_before = page.evaluate(RUNS_JS)
    assert sidebar_before > 10  # the full run drew the whole sidebar

    before = slider.input_value()
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_url(re.compile(r"[?&]mkt_"), timeout=PAGE_READY_MS)
    page.wait_for_function(IDLE_JS, timeout=PAGE_READY_MS)
    page.get_by_text(unsaved).first.wait_for(timeout=PAGE_READY_MS)
    assert baseline not in sidebar_line(page)
    runs, sidebar = page.evaluate(RUNS_JS)
    assert runs == runs_before + 1, "one run per move"
    assert sidebar - sidebar_before <= 2, "the move reran the section (and the scenario line), not the app"

    slider.focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        "(v) => document.querySelector('[data-testid=stMain] [data-testid=stSlider] input[type=range]').value === v",
        arg=before,
        timeout=PAGE_READY_MS,
    )
    page.wait_for_function(IDLE_JS, timeout=PAGE_READY_MS)
    page.get_by_text(baseline).first.wait_for(timeout=PAGE_READY_MS)
    assert not re.search(r"[?&]mkt_", page.url), "back on the baseline, the URL carries no parameter"
    assert page.locator("[data-testid=stException]").count() == 0
    assert [m for m in page.console_errors if not BENIGN_CONSOLE.search(m)] == []
