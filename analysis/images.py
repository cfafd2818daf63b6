"""Server-side chart images (PNG, SVG) through kaleido 1.x and a Chromium found on the machine.

Kaleido drives a headless Chromium. Starting it costs seconds, one image afterwards a fraction of
a second, so the process keeps one browser warm in a background thread with its own event loop;
any thread (a Streamlit session, a deferred download, the command line) submits work to it.

We do not use `kaleido.start_sync_server`: when the browser cannot start, its worker thread dies
and later calls wait forever. Here a missing or broken browser raises `ImagesUnavailable` with a
reason a person can act on, so callers can leave the image out and say so.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import plotly.graph_objects as go

RENDER_TABS = 2  # pictures drawn at once (a tab each): the briefing pack draws two at a time on two cores
BROWSER_ENV = "BROWSER_PATH"  # the variable kaleido's browser search reads too
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
OPEN_TIMEOUT_S = 60
RENDER_TIMEOUT_S = 60
CLOSE_TIMEOUT_S = 10


class ImagesUnavailable(RuntimeError):
    """No image can be made here; the message says why (no browser, browser failed, timed out)."""


def find_browser() -> str | None:
    """The Chromium to use: $BROWSER_PATH when set (even if wrong, so a typo is not hidden), else the PATH."""
    explicit = os.environ.get(BROWSER_ENV)
    if explicit is not None:
        return explicit if _is_executable(explicit) else None
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found and _is_executable(found):
            return found
    return None


def _is_executable(path: str) -> bool:
    return Path(path).is_file() and os.access(path, os.X_OK)


def unavailable_reason() -> str | None:
    """None when a browser is there to try; otherwise why images cannot be made (cheap: no browser starts)."""
    if find_browser() is not None:
        return None
    explicit = os.environ.get(BROWSER_ENV)
    if explicit is not None:
        return f"no executable Chromium at {BROWSER_ENV}={explicit!r}"
    return f"no Chromium found on the PATH (looked for {', '.join(BROWSER_NAMES)}; set {BROWSER_ENV})"


class ImageRenderer:
    """One warm kaleido browser for `browser_path`, shared by every thread of the process."""

    def __init__(self, browser_path: str | None):
        self.browser_path = browser_path
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kaleido = None
        self._opening = None  # a concurrent Future while the browser starts

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            threading.Thread(target=self._loop.run_forever, name="kaleido-loop", daemon=True).start()
        return self._loop

    def _start(self):
        """Begin opening the browser (idempotent); returns the Future that completes when it is ready."""
        with self._lock:
            if self.browser_path is None:
                raise ImagesUnavailable(unavailable_reason() or "no Chromium found")
            if self._opening is None:
                import kaleido  # imported late: the app starts without paying for it

                loop = self._ensure_loop()

                async def open_browser():
                    browser = kaleido.Kaleido(n=RENDER_TABS, path=self.browser_path, mathjax=False, timeout=RENDER_TIMEOUT_S)
                    await browser.open()
                    return browser

                self._opening = asyncio.run_coroutine_threadsafe(open_browser(), loop)
            return self._opening

    def warm_up(self) -> None:
        """Start the browser in the background without waiting; errors surface at the first render."""
        try:
            self._start()
        except ImagesUnavailable:
            pass

    def _browser(self):
        opening = self._start()
        try:
            return opening.result(OPEN_TIMEOUT_S)
        except FutureTimeout:
            self.close()
            raise ImagesUnavailable(f"Chromium at {self.browser_path} did not start within {OPEN_TIMEOUT_S} s") from None
        except Exception as exc:  # kaleido/choreographer raise their own types; the message is what matters
            self.close()
            raise ImagesUnavailable(f"Chromium at {self.browser_path} could not start: {_first_line(exc)}") from None

    def render(self, fig: go.Figure, *, fmt: str = "png", width: int = 1200, height: int = 600, scale: float = 1) -> bytes:
        """The figure as PNG/SVG/PDF bytes; ImagesUnavailable if the browser is missing, fails or hangs."""
        from analysis.static_assets import inline_static_geojson

        browser = self._browser()
        opts = {"format": fmt, "width": width, "height": height, "scale": scale}
        # kaleido's page cannot fetch the app's static files: shapes named by URL go inline (on a copy).
        fig = inline_static_geojson(fig)
        future = asyncio.run_coroutine_threadsafe(browser.calc_fig(fig, opts=opts), self._ensure_loop())
        try:
            return future.result(RENDER_TIMEOUT_S)
        except FutureTimeout:
            future.cancel()
            self.close()
            raise ImagesUnavailable(f"rendering an image took longer than {RENDER_TIMEOUT_S} s") from None
        except Exception as exc:
            raise ImagesUnavailable(f"the image could not be rendered: {_first_line(exc)}") from None

    def close(self) -> None:
        """Stop the browser (the next render starts a new one)."""
        with self._lock:
            opening, self._opening = self._opening, None
        if opening is not None and not opening.done():
            opening.cancel()  # still starting (e.g. timed out): stop it rather than leave a browser behind
            return
        if opening is None or opening.cancelled() or opening.exception() is not None:
            return
        browser = opening.result()
        try:
            asyncio.run_coroutine_threadsafe(browser.close(), self._ensure_loop()).result(CLOSE_TIMEOUT_S)
        except Exception:  # noqa: BLE001 - closing is best effort; the process may be exiting
            pass


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


_renderer: ImageRenderer | None = None
_renderer_lock = threading.Lock()


def default_renderer() -> ImageRenderer:
    """The process's warm renderer for the browser `find_browser()` names now (a change of it starts afresh)."""
    global _renderer
    path = find_browser()
    with _renderer_lock:
        if _renderer is None or _renderer.browser_path != path:
            if _renderer is not None:
                _renderer.close()
            _renderer = ImageRenderer(path)
        return _renderer


def warm_up() -> None:
    """Start the shared browser in the background, so the first image a user asks for comes quickly."""
    default_renderer().warm_up()


def render(fig: go.Figure, **options) -> bytes:
    return default_renderer().render(fig, **options)


@atexit.register
def _close_at_exit() -> None:
    if _renderer is not None:
        _renderer.close()
