"""Files the browser fetches once from the app's static folder (`server.enableStaticServing`), by URL.

A figure that names such a file by URL stays small on every rerun; a copy of it that leaves the browser
(a server-side image, a standalone HTML file, a briefing slide) cannot fetch a relative URL, so
`inline_static_geojson` puts the shapes back inline for those.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import plotly.graph_objects as go

from analysis import paths
from analysis.figure_copy import copy_figure

STATIC_DIR = paths.PROJECT_ROOT / "static"
# Relative, as Streamlit serves the folder: under the app's base URL, whatever page is open.
STATIC_URL_PREFIX = "app/static/"


def static_url(file_name: str) -> str:
    return f"{STATIC_URL_PREFIX}{file_name}"


def static_path(url: str) -> Path | None:
    """The local file behind a static URL, or None when `url` is not one of ours."""
    if not isinstance(url, str) or not url.startswith(STATIC_URL_PREFIX):
        return None
    name = url.removeprefix(STATIC_URL_PREFIX)
    path = (STATIC_DIR / name).resolve()
    return path if path.parent == STATIC_DIR.resolve() else None


@cache
def _read_json(path: str, modified_ns: int) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def read_static_json(url: str) -> dict:
    path = static_path(url)
    if path is None:
        raise ValueError(f"{url!r} is not a file of the app's static folder")
    return _read_json(str(path), path.stat().st_mtime_ns)


def _subset(collection: dict, ids) -> dict:
    wanted = {str(i) for i in ids} if ids is not None else None
    features = [f for f in collection["features"] if wanted is None or str(f.get("id")) in wanted]
    return {"type": "FeatureCollection", "features": features}


def inline_static_geojson(fig: go.Figure) -> go.Figure:
    """`fig` itself when no trace names a static GeoJSON by URL; else a copy with those shapes inline.

    Only the features a trace fills are inlined (its `locations`), as the app's figure would hold them.
    The input is never changed: app figures are shared read-only.
    """
    linked = [i for i, trace in enumerate(fig.data) if static_path(getattr(trace, "geojson", None)) is not None]
    if not linked:
        return fig
    copy = copy_figure(fig)
    for index in linked:
        trace = copy.data[index]
        trace.geojson = _subset(read_static_json(trace.geojson), trace.locations)
    return copy
