"""Start-up warm-up: what the first session would otherwise wait for, done while its browser loads the app.

Started from the server's lifespan (app.py), after Streamlit's runtime is up, in a daemon thread: the server
answers at once, and between its first answer and the first script run (the browser fetching and starting
the frontend, about a second) this thread imports the app's modules, checks or builds the figure database
and draws a first figure, so plotly's validators are loaded; then it starts the image browser (kaleido) and
draws a first small picture, so the first PNG or SVG does not wait for Chromium. A failure here is logged and
changes nothing: the first session then does the same work itself, and shows any problem the way it always does.
"""

from __future__ import annotations

import logging
import threading
import time

_LOG = logging.getLogger(__name__)
_STARTED = threading.Event()


def warm_up() -> float:
    """Do the warm-up in this thread; the seconds it took."""
    started = time.perf_counter()
    import plotly.graph_objects as go
    import streamlit.emojis  # noqa: F401 - the page icon's check loads it on the first run (about 0.15 s)

    import analysis.api  # noqa: F401 - pandas, DuckDB and the chart modules the pages and the API share
    from ui import frame, widgets  # noqa: F401 - the frame's caches are made here, inside the runtime

    if frame.database_status().rebuilt:  # checked, or built: every session then finds it in the cache
        frame.database_status()  # a build changed the file the cache key is made of: the new file's check
    go.Figure([go.Scatter(x=[2023, 2024], y=[1.0, 2.0]), go.Bar(x=["a"], y=[1])]).to_json()
    return time.perf_counter() - started


def warm_images() -> float:
    """Start the image browser (kaleido's Chromium) and draw one small picture, so the first picture a user or
    the API asks for does not pay for it (measured cold: about 5 s, see the README); the seconds it took.
    Nothing happens without a Chromium: pictures then say why they cannot be made, as they always do."""
    started = time.perf_counter()
    from analysis import images

    if images.unavailable_reason() is None:
        import plotly.graph_objects as go

        images.render(go.Figure(go.Scatter(x=[0, 1], y=[0, 1])), fmt="png", width=120, height=80, scale=1)
    return time.perf_counter() - started


def _run() -> None:
    try:
        _LOG.info("warm-up done in %.2f s", warm_up())
    except Exception:  # noqa: BLE001 - the first session repeats the work and reports any problem itself
        _LOG.warning("start-up warm-up failed; the first session will do this work", exc_info=True)
    # After the app's own warm-up, so the browser's start does not compete with the first session's page;
    # still in this background thread, so neither the server's answer nor a session waits for it.
    try:
        _LOG.info("image browser warmed in %.2f s", warm_images())
    except Exception:  # noqa: BLE001 - e.g. Chromium failed to start: the first picture reports it
        _LOG.warning("warming the image browser failed; the first picture will start it", exc_info=True)


def start() -> bool:
    """Start the warm-up thread once per process; False if it was already started."""
    if _STARTED.is_set():
        return False
    _STARTED.set()
    threading.Thread(target=_run, name="atlas-warm-up", daemon=True).start()
    return True
