"""One chart as a file: a self-contained interactive HTML page, a vector SVG or a PNG.

Kept apart from the briefing pack so the app can offer these per chart without loading python-pptx. The SVG
and the PNG are laid out for a file by `analysis.chart_layout` (the API's default picture is the same one).
"""

from __future__ import annotations

import html
import re

import plotly.graph_objects as go

from analysis import images
from analysis.chart_layout import FILE, FILE_HEIGHT_PX, FILE_WIDTH_PX, lay_out, render
from analysis.charts import PNG_SCALE, plotly_config
from analysis.static_assets import inline_static_geojson

SVG_WIDTH_PX = FILE_WIDTH_PX  # the file's size; `analysis.chart_layout` grows its height when the plot needs room
SVG_HEIGHT_PX = FILE_HEIGHT_PX
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


def chart_svg(fig: go.Figure, renderer: images.ImageRenderer | None = None, *, subtitle: str | None = None) -> bytes:
    """The chart (a builder's figure) laid out for a file, as SVG drawn server-side; raises
    images.ImagesUnavailable when no browser can draw it. `subtitle`: e.g. the scenario shown."""
    return render(lay_out(fig, FILE, subtitle=subtitle), "svg", renderer=renderer)


def chart_png(fig: go.Figure, renderer: images.ImageRenderer | None = None, *, subtitle: str | None = None) -> bytes:
    """As `chart_svg`, as a PNG at PNG_SCALE× (the toolbar's scale before the download replaced it)."""
    return render(lay_out(fig, FILE, subtitle=subtitle), "png", scale=PNG_SCALE, renderer=renderer)
