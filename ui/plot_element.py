"""The app's one chart element: a plotly.js figure drawn in the page and updated in place.

A Streamlit components v2 element (no iframe; `ui/plot_element.js`): the first render of a key draws with
`Plotly.newPlot`, every later render of that key (a fragment's or a full rerun) with `Plotly.react` on the
same node, so a slider moves the chart instead of re-mounting it (issue 23; `st.plotly_chart` hashes the
spec into its element id and re-mounts every changed figure).

plotly.js is the installed plotly package's own copy, served by the app itself (`ui.http_api.plotly_js_route`),
never a CDN. The figure goes as plotly's own JSON, without a template: the browser themes it from Streamlit's
`--st-*` variables, light or dark. A chart with `on_select` sends a clicked point back as
`st.session_state[key]["selection"]["points"]`, the shape `st.plotly_chart` gave the pages' callbacks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from analysis.charts import PALETTE
from ui.http_api import plotly_js_url

JS_PATH = Path(__file__).with_name("plot_element.js")
CSS = """
.atlas-plot { margin: 0; width: 100%; }
.atlas-plot-graph { width: 100%; min-height: 1px; }
.atlas-plot-description {
  position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
.atlas-plot-unavailable { color: var(--st-text-color); font-size: 0.9rem; }
"""
# Not isolated in a shadow root: plotly.js's hover labels are not drawn inside one (issue 23's prototype).
# The figures' fixed light-page colours and what each becomes on a dark theme (ui/plot_element.js, `darkColours`).
DARK_SWAP = {
    "white": "background",
    "#ffffff": "background",
    PALETTE["ink"]: "text",
    PALETTE["muted"]: "muted",
    PALETTE["grid"]: "grid",
}
ELEMENT_NAME = "atlas.plot"
_ELEMENT = st.components.v2.component(ELEMENT_NAME, css=CSS, js=JS_PATH.read_text(encoding="utf-8"), isolate_styles=False)


def figure_json(fig: go.Figure) -> dict:
    """`fig` as plotly's own JSON (numpy arrays and dates encoded by plotly's encoder), parsed back into plain,
    JSON-safe Python, without a template (the browser themes it). A shared `ScreenFigure` is encoded once."""
    plain = json.loads(pio.to_json(fig.to_dict(), validate=False))  # ScreenFigure.to_dict: parsed from its cached JSON
    plain.get("layout", {}).pop("template", None)
    return plain


def _rerun() -> None:
    """A state callback that does nothing: the click's own rerun is the page's cue (on_select="rerun")."""


def plot_element(
    fig: go.Figure,
    *,
    key: str,
    config: dict,
    title: str = "",
    description: str = "",
    unavailable: str = "",
    on_select: Callable[[], None] | str | None = None,
):
    """Draw `fig` (laid out for the screen) under `key`; returns the element's state (its `selection`).

    `title`, `description`: the chart's text alternative (aria-label and a visually hidden figcaption).
    `unavailable`: shown instead if plotly.js cannot be loaded. `on_select`: a callback, or "rerun", run when
    a point is clicked.
    """
    data = {
        "figure": figure_json(fig),
        "config": {**config, "showSendToCloud": False},
        "src": plotly_js_url(),
        "title": title,
        "description": description,
        "unavailable": unavailable,
        "selectable": on_select is not None,
        "swap": DARK_SWAP,
    }
    callbacks = {}
    if on_select is not None:
        callbacks["on_selection_change"] = on_select if callable(on_select) else _rerun
    return _ELEMENT(key=key, data=data, **callbacks)
