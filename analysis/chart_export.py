"""One chart as a file: a self-contained interactive HTML page or a vector SVG.

Kept apart from the briefing pack so the app can offer these per chart without loading python-pptx.
"""

from __future__ import annotations

import html
import re

import plotly.graph_objects as go

from analysis import images
from analysis.charts import plotly_config
from analysis.static_assets import inline_static_geojson

SVG_WIDTH_PX = 1000  # a fixed size, so the exported file does not depend on the browser window
SVG_HEIGHT_PX = 560
HTML_LANG_TAGS = {"zh": "zh-CN", "en": "en"}


def figure_title(fig: go.Figure) -> str:
    """The figure's title as plain text (line breaks and tags removed)."""
    text = fig.layout.title.text or ""
    return re.sub(r"<[^>]+>", " ", text).strip()


def chart_html(fig: go.Figure, *, slug: str, lang: str) -> bytes:
    """The interactive chart as one HTML file with plotly.js inlined (about 4–5 MB): it opens offline."""
    # A file opened away from the app cannot fetch its static folder: shapes named by URL go inline (on a copy).
    page = inline_static_geojson(fig).to_html(include_plotlyjs=True, full_html=True, config=plotly_config(slug, lang))
    title = html.escape(figure_title(fig) or slug)
    page = page.replace("<html>", f'<html lang="{HTML_LANG_TAGS.get(lang, lang)}">', 1)
    page = page.replace("<head>", f"<head>\n    <title>{title}</title>", 1)
    return page.encode("utf-8")


def chart_svg(fig: go.Figure, renderer: images.ImageRenderer | None = None) -> bytes:
    """The chart as SVG, drawn server-side; raises images.ImagesUnavailable when no browser can draw it."""
    renderer = renderer or images.default_renderer()
    return renderer.render(fig, fmt="svg", width=SVG_WIDTH_PX, height=SVG_HEIGHT_PX, scale=1)
