"""One layout per medium, decided here: every picture of a chart (screen, file, API, slide) is laid out by `lay_out`.

A chart laid out for a 350 px phone column is not a 1000 × 560 file: squeezed into one, its title, legend rows
and source line leave the plot a few pixels. So each medium asks `lay_out` for its own layout, drawn for its
size rather than shrunk into it, and gets back the figure with the size to render it at:

- the screen (`SCREEN`): the phone-width layout (room for the toolbar above the title); its height is what it needs;
- a file (`FILE`, the "Image (SVG)" and "Image (PNG)" downloads) and an API picture (`api_medium`): the requested
  width and height, with title, legend and source; if the plot would get less than `MIN_PLOT_SHARE` of the
  picture's height, the picture grows taller instead of squeezing the plot;
- a slide picture (`slide_medium`): the picture box's size, without title and source (the slide carries both);
  grown like a file when the plot needs it, and then fitted into the box whole (narrower, never stretched).

A map is framed on the whole of China for the map area it gets. `analysis.charts.fit_layout` does the pixel
arithmetic; this module decides which medium gets which arguments, so no export path can bypass it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import plotly.graph_objects as go

from analysis import images
from analysis.charts import (
    GAP_PX,
    MODEBAR_PX,
    PHONE_FIGURE_WIDTH_PX,
    TICK_COL_PX,
    display_width,
    fit_layout,
    plain_text,
    wrap_text,
)
from analysis.i18n import t
from analysis.scenario import BASELINE_NAME

FILE_WIDTH_PX = 1000  # a fixed size, so a downloaded file does not depend on the browser window
FILE_HEIGHT_PX = 560
MIN_PLOT_SHARE = 0.5  # of a fixed-size picture's height, the plot's at least (the picture grows otherwise)
FILE_TOP_PAD_PX = 14  # above the title of a picture: no toolbar there, so no room kept for one
CATEGORY_LINE_PX = 16  # one line of a 12-13 px tick label
CATEGORY_GAP_PX = 8  # between two category labels
GROUPED_BAR_PX = 6  # the thinnest bar of a group that still reads as a bar
CATEGORY_LABEL_SHARE = 0.4  # of a picture's width, the most its bars' labels take
X_TITLE_COL_PX = 8  # one display column of an x-axis title
X_TITLE_MIN_COLS = 24  # narrower, an x-axis title would take more lines than the band under the plot holds


@dataclass(frozen=True)
class Medium:
    """Where a chart goes. `height_px` None: as tall as the layout needs (the screen)."""

    name: str
    width_px: int
    height_px: int | None = None
    title: bool = True
    source: bool = True
    grow: bool = True  # a fixed-size picture may grow taller to keep MIN_PLOT_SHARE for the plot
    top_pad_px: float = FILE_TOP_PAD_PX


@dataclass(frozen=True)
class Picture:
    """A figure laid out for a medium, and the size (px at scale 1) it is to be drawn at."""

    figure: go.Figure
    width_px: int
    height_px: int
    medium: Medium


SCREEN = Medium("screen", PHONE_FIGURE_WIDTH_PX, None, top_pad_px=MODEBAR_PX)
FILE = Medium("file", FILE_WIDTH_PX, FILE_HEIGHT_PX)


def api_medium(width_px: int = FILE_WIDTH_PX, height_px: int = FILE_HEIGHT_PX) -> Medium:
    """An API picture at the requested size (the default is the file's, so both are the same picture)."""
    return Medium("api", int(width_px), int(height_px))


def slide_medium(width_px: int, height_px: int) -> Medium:
    """A slide's picture box: taller than the box when the plot needs it (the deck then fits it in the box)."""
    return Medium("slide", int(width_px), int(height_px), title=False, source=False)


def lay_out(fig: go.Figure, medium: Medium, *, subtitle: str | None = None) -> Picture:
    """`fig` (a builder's figure, not yet laid out) laid out for `medium`; `subtitle`, e.g. the scenario shown,
    goes under the title (after any subtitle the chart has)."""
    if subtitle and medium.title:
        fig = go.Figure(fig)
        own = fig.layout.title.subtitle.text
        fig.update_layout(title_subtitle_text=f"{own} · {subtitle}" if own else subtitle)
    if medium.height_px is None:
        out = fit_layout(fig, width_px=medium.width_px, top_pad_px=medium.top_pad_px)
        return Picture(out, medium.width_px, round(out.layout.height), medium)
    fig = _fit_categories(fig, medium.width_px)
    out = _fixed(fig, medium, medium.height_px)
    if medium.grow:
        top, bottom = out.layout.margin.t, out.layout.margin.b
        plot_px = out.layout.height - top - bottom
        needed_px = max(math.ceil((top + bottom) * MIN_PLOT_SHARE / (1 - MIN_PLOT_SHARE)) + 1, category_rows_px(fig))
        if plot_px < needed_px:
            out = _fixed(fig, medium, top + bottom + needed_px)
    height = round(out.layout.height) if medium.grow else medium.height_px
    out.update_layout(height=height, width=medium.width_px)
    return Picture(out, medium.width_px, height, medium)


def render(picture: Picture, fmt: str, *, scale: float = 1, renderer: images.ImageRenderer | None = None) -> bytes:
    """The picture as PNG/SVG bytes at its own size; raises images.ImagesUnavailable when no browser can draw it."""
    renderer = renderer or images.default_renderer()
    return renderer.render(picture.figure, fmt=fmt, width=picture.width_px, height=picture.height_px, scale=scale)


def category_rows_px(fig: go.Figure) -> int:
    """Height a plot needs for its category labels on the y-axis (horizontal bars), each label's lines apart;
    0 for a figure without one."""
    rows: dict[str, int] = {}
    bars = [tr for tr in fig.data if tr.type == "bar" and tr.orientation == "h" and tr.y is not None]
    for trace in bars:
        for label in trace.y:
            rows[str(label)] = str(label).count("<br>") + 1
    # Bars side by side (plotly's default "group") share their category's row: each needs a visible thickness.
    grouped = len(bars) if fig.layout.barmode in (None, "group") else 1
    return sum(max(CATEGORY_LINE_PX * lines, GROUPED_BAR_PX * grouped) + CATEGORY_GAP_PX for lines in rows.values())


def _fit_categories(fig: go.Figure, width_px: int) -> go.Figure:
    """Horizontal bars' labels wrapped to at most CATEGORY_LABEL_SHARE of the picture's width and given the
    left margin they need (a builder's margin is set for the screen; plotly cuts a longer label at the edge);
    the x-axis title wrapped to the plot's width. A copy when anything changes."""
    bars = [tr for tr in fig.data if tr.type == "bar" and tr.orientation == "h" and tr.y is not None]
    if not bars:
        return fig
    out = go.Figure(fig)
    cols = max(8, int(width_px * CATEGORY_LABEL_SHARE / TICK_COL_PX))
    widest = 0
    for trace in [tr for tr in out.data if tr.type == "bar" and tr.orientation == "h" and tr.y is not None]:
        if all(isinstance(label, str) for label in trace.y):
            trace.y = [wrap_text(label, cols) for label in trace.y]  # the builder's own line breaks kept
            widest = max(widest, *(display_width(line) for label in trace.y for line in label.split("<br>")))
    for name in [n for n in out.layout.to_plotly_json() if n.startswith("yaxis")]:
        axis = out.layout[name]
        if axis.ticktext:
            axis.ticktext = [wrap_text(plain_text(str(x)), cols) for x in axis.ticktext]
            widest = max(widest, *(display_width(line) for x in axis.ticktext for line in x.split("<br>")))
    if widest:
        out.layout.margin.l = max(out.layout.margin.l or 0, round(widest * TICK_COL_PX + GAP_PX * 3))
        out.update_yaxes(automargin=False)
    plot_cols = int((width_px - (out.layout.margin.l or 0) - (out.layout.margin.r or 0)) / X_TITLE_COL_PX)
    for name in [n for n in out.layout.to_plotly_json() if n.startswith("xaxis")]:
        axis = out.layout[name]
        if axis.title.text and display_width(plain_text(axis.title.text)) > plot_cols:
            axis.title.text = wrap_text(plain_text(axis.title.text), max(X_TITLE_MIN_COLS, plot_cols))
    return out


def _fixed(fig: go.Figure, medium: Medium, height_px: int) -> go.Figure:
    from analysis.regions import LANDSCAPE_RATIO, frame_map  # late: analysis.regions registers charts (a cycle otherwise)

    is_map = fig.layout.map.style is not None
    # A map on a landscape picture: its legend beside it (frame_map), so the rows under it go to the map.
    legend_beside = is_map and medium.width_px >= LANDSCAPE_RATIO * height_px and fig.layout.showlegend is not False
    out = fit_layout(
        go.Figure(fig).update_layout(showlegend=False) if legend_beside else fig,
        width_px=medium.width_px,
        height_px=height_px,
        title=medium.title,
        source=medium.source,
        top_pad_px=medium.top_pad_px,
    )
    if is_map:  # China whole and the insets on their regions, in the map area this picture gives them
        margin = out.layout.margin
        map_w = medium.width_px - (margin.l or 0) - (margin.r or 0)
        map_h = out.layout.height - (margin.t or 0) - (margin.b or 0)
        frame_map(out, map_w, map_h, legend_beside=legend_beside)
    return out


def scenario_name_shown(name: str, lang: str) -> str:
    """A scenario's name as a reader sees it: the baseline's translated, an unsaved one called so."""
    if name == BASELINE_NAME:
        return t("scenario.baseline", lang)
    return name or t("briefing.unsaved_scenario", lang)


def scenario_subtitle(name: str, *, baseline: bool, assumptions: Mapping[str, str], lang: str) -> str:
    """What an exported picture says about the scenario it shows: the baseline, or which scenario against it.

    `name`: the scenario's stored name ('' for unsaved values); `assumptions`: the chart's, label -> value.
    """
    listed = t("briefing.list_separator", lang).join(
        t("briefing.assumption", lang, label=label, value=value) for label, value in assumptions.items()
    )
    if baseline:
        key = "export.scenario_baseline_with" if listed else "export.scenario_baseline"
        return t(key, lang, assumptions=listed)
    key = "export.scenario_custom_with" if listed else "export.scenario_custom"
    return t(key, lang, name=scenario_name_shown(name, lang), assumptions=listed)
