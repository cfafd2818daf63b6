"""Browser half of the benchmark and the load test: Chromium via Playwright (async), redraw timing in the page.

"Redraw" is timed inside the page, on its own clock (performance.now()), so Playwright's round trips do
not count: from the key press (a capturing keydown listener) to the later of
  - the first frame painted after the end of the script run it caused (Streamlit's `script_finished`
    message on its WebSocket, then two animation frames), and
  - the last DOM change inside a plotly chart (`.js-plotly-plot`), when the widget changes a chart.
A calibration press tells whether the widget changes a chart; if it does not, the run's end alone counts
(`signal` says which was used).

"Server run" is the rerun the key press caused, as the real server ran it: from the first message the page
sent after the key (the widget's new value, which asks for the rerun) to the arrival of Streamlit's
`script_finished` message. When the widget sits in an `st.fragment`, that is the fragment's rerun.
"""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass

from playwright.async_api import TimeoutError as PlaywrightTimeoutError

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 1000}
PAGE_READY_MS = 90_000
REDRAW_TIMEOUT_MS = 60_000
SETTLE_MS = 150  # trailing chart mutations of the same redraw land within a few frames
POLL_MS = 20
RUN_START_TIMEOUT_MS = 15_000  # a key press that started no run by then is pressed again (counted as a retry)
PRESS_ATTEMPTS = 3
OPTION_TIMEOUT_MS = 5_000
CHART_GRACE_MS = 3_000  # a chart that has not changed this long after the run's end did not change
CALIBRATION_SETTLE_S = 0.5
# Streamlit's frontend first probes `<page>/_stcore/...` relative to a deep link and gets 404 (see
# tests/browser/test_deeplinks.py); anything else on the console is a real error.
BENIGN_CONSOLE = re.compile(r"Failed to load resource: the server responded with a status of 404")

# Top-level field numbers of Streamlit's ForwardMsg protobuf (streamlit/proto/ForwardMsg.proto), checked
# against the installed streamlit by tests/test_bench.py.
FORWARD_MSG_NEW_SESSION = 4  # sent when a script run starts
FORWARD_MSG_SCRIPT_FINISHED = 6  # sent when it ends; value 2 = FINISHED_EARLY_FOR_RERUN (superseded)
SCRIPT_FINISHED_EARLY_FOR_RERUN = 2

# Runs in every page before Streamlit's own code. The run's start and end are read from Streamlit's
# WebSocket messages (a React-rendered "running" attribute can be skipped when a fast run's messages are
# batched into one render); the end counts after the next two animation frames, i.e. once the browser
# has painted the result.
_TRACKER_TEMPLATE = """
(() => {
  if (window.__bench) return;
  const NEW_SESSION = {new_session}, SCRIPT_FINISHED = {script_finished}, EARLY_FOR_RERUN = {early_for_rerun};
  const b = window.__bench = {started: 0, ended: 0, finished: 0, pending: 0, lastStart: 0, lastFinish: 0,
                              chartMutations: 0, lastChartMutation: 0, lastKey: 0, lastSend: 0, lastEndMsg: 0};
  window.addEventListener('keydown', () => { b.lastKey = performance.now(); }, true);
  const varint = (bytes, pos) => {
    let value = 0, shift = 0, byte;
    do { byte = bytes[pos++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80 && pos < bytes.length);
    return [value, pos];
  };
  const topFields = (buffer) => {
    const bytes = new Uint8Array(buffer), fields = [];
    let pos = 0;
    while (pos < bytes.length) {
      let key, value = null;
      [key, pos] = varint(bytes, pos);
      const wire = key & 7;
      if (wire === 0) { [value, pos] = varint(bytes, pos); }
      else if (wire === 2) { let length; [length, pos] = varint(bytes, pos); pos += length; }
      else if (wire === 1) { pos += 8; } else if (wire === 5) { pos += 4; } else { break; }
      fields.push([Math.floor(key / 8), value]);
    }
    return fields;
  };
  const onMessage = (event) => {
    if (!(event.data instanceof ArrayBuffer)) return;
    let fields;
    try { fields = topFields(event.data); } catch (e) { return; }
    for (const [field, value] of fields) {
      if (field === NEW_SESSION) { b.started++; b.lastStart = performance.now(); }
      if (field === SCRIPT_FINISHED) {
        b.ended++;
        if (value === EARLY_FOR_RERUN) continue;
        b.lastEndMsg = performance.now();
        b.pending++;
        // After Streamlit's own handler (registered later) has processed the message, then two frames.
        setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(() => {
          b.pending--; b.finished++; b.lastFinish = performance.now();
        })), 0);
      }
    }
  };
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) { super(...args); this.addEventListener('message', onMessage); }
    send(data) {
      // The first message after a key press carries the widget's new value: the rerun request.
      if (b.lastSend < b.lastKey) b.lastSend = performance.now();
      return super.send(data);
    }
  };
  const observe = () => {
    new MutationObserver((records) => {
      for (const r of records) {
        const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
        if (el && el.closest && el.closest('.js-plotly-plot')) {
          b.chartMutations++; b.lastChartMutation = performance.now(); break;
        }
      }
    }).observe(document.documentElement, {subtree: true, childList: true, attributes: true, characterData: true});
  };
  if (document.documentElement) observe(); else document.addEventListener('DOMContentLoaded', observe);
})();
"""
TRACKER_JS = (
    _TRACKER_TEMPLATE.replace("{new_session}", str(FORWARD_MSG_NEW_SESSION))
    .replace("{script_finished}", str(FORWARD_MSG_SCRIPT_FINISHED))
    .replace("{early_for_rerun}", str(SCRIPT_FINISHED_EARLY_FOR_RERUN))
)

SNAPSHOT_JS = "() => ({started: window.__bench.started, finished: window.__bench.finished, chart: window.__bench.chartMutations})"
STARTED_JS = "(started) => window.__bench.started > started"
CHART_CHANGED_JS = "(chart) => window.__bench.chartMutations > chart"
TRACKER_STATE_JS = "() => JSON.stringify(window.__bench)"
# Idle: at least one run finished and painted, and every started run has ended.
IDLE_JS = """() => { const b = window.__bench;
  return !!b && b.finished > 0 && b.ended >= b.started && b.pending === 0; }"""
DONE_JS = """([finished, chart, needChart]) => { const b = window.__bench;
  return b.finished > finished && b.ended >= b.started && b.pending === 0 && (!needChart || b.chartMutations > chart); }"""
ELAPSED_JS = """(needChart) => { const b = window.__bench;
  const end = needChart ? Math.max(b.lastFinish, b.lastChartMutation) : b.lastFinish;
  return [end - b.lastKey, b.lastStart - b.lastKey, b.lastSend > b.lastKey ? b.lastEndMsg - b.lastSend : null]; }"""

# How to find a widget of each AppTest type in the DOM, and how to move it by keyboard.
WIDGET_SELECTORS = {
    "slider": "[data-testid=stSlider] input[type=range]",
    "select_slider": "[data-testid=stSlider] input[type=range]",
    "toggle": "[data-testid=stCheckbox] input",
    "checkbox": "[data-testid=stCheckbox] input",
    "text_input": "[data-testid=stTextInput] input",
    "selectbox": "[data-testid=stSelectbox] input[role=combobox]",
}
RERUN = "rerun"  # no widget to move: Streamlit's own "r" shortcut reruns the page
AREA_SELECTORS = {"main": "[data-testid=stMain]", "sidebar": "[data-testid=stSidebar]"}


def page_url(base: str, url_path: str, lang: str) -> str:
    query = "" if lang == "zh" else f"?lang={lang}"
    return f"{base}/{url_path}{query}"


async def launch(playwright):
    if not os.path.exists(CHROMIUM_PATH):
        raise RuntimeError(f"Chromium not found at {CHROMIUM_PATH}; run `make browser-deps` (installs Debian's chromium)")
    return await playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)


@dataclass
class Session:
    """One browser context (one Streamlit session) with error bookkeeping."""

    context: object
    page: object
    console_errors: list
    page_errors: list

    @classmethod
    async def open(cls, browser) -> Session:
        context = await browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(PAGE_READY_MS)
        context.set_default_navigation_timeout(PAGE_READY_MS)
        await context.add_init_script(TRACKER_JS)
        page = await context.new_page()
        session = cls(context, page, [], [])
        page.on(
            "console",
            lambda m: session.console_errors.append(m.text) if m.type == "error" and not BENIGN_CONSOLE.search(m.text) else None,
        )
        page.on("pageerror", lambda e: session.page_errors.append(str(e)))
        return session

    async def close(self) -> None:
        await self.context.close()

    async def goto(self, url: str, *, wait_chart: bool = False) -> None:
        await self.page.goto(url)
        await self.wait_idle()
        if wait_chart:
            await self.page.locator(".js-plotly-plot .main-svg").first.wait_for(state="visible", timeout=PAGE_READY_MS)

    async def wait_idle(self, timeout_ms: int = PAGE_READY_MS) -> None:
        try:
            await self.page.wait_for_function(IDLE_JS, timeout=timeout_ms, polling=POLL_MS)
        except PlaywrightTimeoutError:
            state = await self.page.evaluate("() => window.__bench ? JSON.stringify(window.__bench) : 'no tracker'")
            raise RuntimeError(f"page not idle within {timeout_ms} ms ({self.page.url}); tracker {state}") from None

    async def exception_boxes(self) -> int:
        return await self.page.locator("[data-testid=stException]").count()

    @property
    def errors(self) -> list[str]:
        return [f"console: {m}" for m in self.console_errors] + [f"page error: {m}" for m in self.page_errors]


class Mover:
    """Moves one widget by keyboard, back and forth, and times each redraw."""

    def __init__(self, session: Session, widget_type: str, area: str = "main", labels: tuple | None = None):
        if widget_type not in WIDGET_SELECTORS and widget_type != RERUN:
            raise ValueError(f"no keyboard driver for widget type {widget_type!r}")
        if widget_type == "selectbox" and not labels:
            raise ValueError("a selectbox is driven by typing option labels: pass two")
        self.session = session
        self.type = widget_type
        self.labels = labels
        self.area = area
        self.step = 0
        self.need_chart = False
        self.signal = "rerun"
        self.first_key = "ArrowRight"
        self.retries = 0
        self.chart_misses = 0

    @property
    def locator(self):
        if self.type == RERUN:
            return self.session.page.locator(AREA_SELECTORS[self.area])
        selector = f"{AREA_SELECTORS[self.area]} {WIDGET_SELECTORS[self.type]}"
        return self.session.page.locator(selector).filter(visible=True).first

    async def prepare(self) -> None:
        """Focus the widget, pick the direction, and find out whether moving it changes a chart."""
        widget = self.locator
        await widget.wait_for(state="visible", timeout=PAGE_READY_MS)
        if self.type in ("slider", "select_slider"):
            now, top = await widget.input_value(), await widget.get_attribute("max")
            if top is not None and float(now) >= float(top):
                self.first_key = "ArrowLeft"
        # Two presses (there and back): the widget changes a chart if a chart's DOM changed after each.
        changed = []
        for _ in range(2):
            before = await self.session.page.evaluate(SNAPSHOT_JS)
            await self._press_and_wait(need_chart=False)
            await asyncio.sleep(CALIBRATION_SETTLE_S)
            after = await self.session.page.evaluate(SNAPSHOT_JS)
            changed.append(after["chart"] > before["chart"])
        self.need_chart = all(changed)
        self.signal = "chart" if self.need_chart else "rerun"

    async def _press_and_wait(self, *, need_chart: bool) -> bool:
        """Press, make sure a script run started (else press again), and wait for the run's end to be painted
        and, if `need_chart`, for a chart to change (up to CHART_GRACE_MS after the end). True if it did."""
        page = self.session.page
        before = await page.evaluate(SNAPSHOT_JS)
        for attempt in range(PRESS_ATTEMPTS):
            await self._press()
            try:
                await page.wait_for_function(STARTED_JS, arg=before["started"], timeout=RUN_START_TIMEOUT_MS, polling=POLL_MS)
                break
            except PlaywrightTimeoutError:
                if attempt == PRESS_ATTEMPTS - 1:
                    state = await page.evaluate(TRACKER_STATE_JS)
                    raise RuntimeError(f"{self.type}: no script run after {PRESS_ATTEMPTS} presses; tracker {state}") from None
                self.retries += 1
        try:
            await page.wait_for_function(
                DONE_JS, arg=[before["finished"], before["chart"], False], timeout=REDRAW_TIMEOUT_MS, polling=POLL_MS
            )
        except PlaywrightTimeoutError:
            state = await page.evaluate(TRACKER_STATE_JS)
            raise RuntimeError(
                f"{self.type}: run started but did not end within {REDRAW_TIMEOUT_MS} ms; tracker {state}"
            ) from None
        if not need_chart:
            return False
        try:
            await page.wait_for_function(CHART_CHANGED_JS, arg=before["chart"], timeout=CHART_GRACE_MS, polling=POLL_MS)
            return True
        except PlaywrightTimeoutError:
            return False

    async def _press(self) -> None:
        widget = self.locator
        forward = self.step % 2 == 0
        self.step += 1
        # Keys go to the focused document; make sure it is this one (several sessions share one browser).
        await self.session.page.bring_to_front()
        if self.type == RERUN:
            await self.session.page.evaluate("() => document.activeElement && document.activeElement.blur()")
            await self.session.page.keyboard.press("r")
        elif self.type in ("slider", "select_slider"):
            back = "ArrowLeft" if self.first_key == "ArrowRight" else "ArrowRight"
            await widget.focus()
            await self.session.page.keyboard.press(self.first_key if forward else back)
        elif self.type in ("toggle", "checkbox"):
            await widget.focus()
            await self.session.page.keyboard.press("Space")
        elif self.type == "selectbox":  # type the option's label into the combobox; Enter picks it
            await widget.focus()
            await self.session.page.keyboard.press("ControlOrMeta+a")
            label = self.labels[0 if forward else 1]
            await self.session.page.keyboard.type(label)
            try:  # Enter picks the highlighted option: wait until the filtered list shows it
                await self.session.page.get_by_role("option", name=label, exact=True).first.wait_for(timeout=OPTION_TIMEOUT_MS)
            except PlaywrightTimeoutError:
                pass  # pressed anyway; a press that starts no run is retried
            await self.session.page.keyboard.press("Enter")
        else:  # text_input: add or remove one letter, then Enter commits it
            await widget.focus()
            await self.session.page.keyboard.press("End")
            await self.session.page.keyboard.press("a" if forward else "Backspace")
            await self.session.page.keyboard.press("Enter")

    async def redraw_s(self) -> tuple[float, float, float | None]:
        """Press once; return (redraw time, time until the script run started, server run) in seconds (page clock).

        The server run is None when the page sent nothing after the key (it cannot be told apart then)."""
        page = self.session.page
        await self.session.wait_idle()
        chart_changed = await self._press_and_wait(need_chart=self.need_chart)
        if self.need_chart and not chart_changed:
            self.chart_misses += 1  # timed to the run's end alone
        await asyncio.sleep(SETTLE_MS / 1000)
        total_ms, start_ms, server_ms = await page.evaluate(ELAPSED_JS, chart_changed)
        return total_ms / 1000, start_ms / 1000, None if server_ms is None else server_ms / 1000
