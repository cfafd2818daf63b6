"""One layout per medium, decided here: every picture of a chart (screen, file, API, slide) is laid out by `lay_out`.

A chart laid out for a 350 px phone column is not a 1000 × 560 file: squeezed into one, its title, legend rows
and source line leave the plot a few pixels. So each medium asks `lay_out` for its own layout, drawn for its
size rather than shrunk into it, and gets back the figure with the size to render it at:

- the screen (`SCREEN`, `screen_layout`): one responsive figure for any column, a 390 px phone's or a 1400 px
  desktop's. The server never learns the column's width, so nothing width-dependent is decided here: the title
  and the source line are not drawn in the figure but beside it, as text the browser wraps at the column's width
  (`ui.widgets.show_chart`), the legend runs in rows above the plot and plotly itself gives it the room its rows
  take, and the axes' tick labels get theirs (automargin). Few lines are named at their ends instead of in a
  legend (`DIRECT_LABEL_MAX`); a series on another definition than the report's is hidden (`OFF_AXIS`) until
  its legend entry is clicked, so it cannot set the scale of the report's series;
- a file (`FILE`, the "Image (SVG)" and "Image (PNG)" downloads) and an API picture (`api_medium`): the requested
  width and height, with title, legend and source; if the plot would get less than `MIN_PLOT_SHARE` of the
  picture's height, the picture grows taller instead of squeezing the plot;
- a slide picture (`slide_medium`): the picture box's size, without title and source (the slide carries both);
  grown like a file when the plot needs it, and then fitted into the box whole (narrower, never stretched). Its
  text must read at 9 pt on the slide (`Medium.min_text_px`): a hierarchy is a treemap there, and grouped bars
  reserve thinner bars, so the picture need not grow and be drawn smaller.

In every fixed-size picture a bubble chart's labels are placed off the bubbles and each other (`_place_point_labels`).

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
    AXISLESS_TRACES,
    GAP_PX,
    LEGEND_COL_PX,
    LEGEND_PT,
    MODEBAR_PX,
    PHONE_FIGURE_WIDTH_PX,
    SOURCE_ANNOTATION_NAME,
    TICK_COL_PX,
    display_width,
    fit_layout,
    fit_y_axes,
    legend_columns,
    legend_height_px,
    legend_traces,
    plain_text,
    source_annotation,
    wrap_text,
)
from analysis.figure_copy import copy_figure
from analysis.i18n import t
from analysis.scenario import BASELINE_NAME

FILE_WIDTH_PX = 1000  # a fixed size, so a downloaded file does not depend on the browser window
FILE_HEIGHT_PX = 560
MIN_PLOT_SHARE = 0.5  # of a fixed-size picture's height, the plot's at least (the picture grows otherwise)
FILE_TOP_PAD_PX = 14  # above the title of a picture: no toolbar there, so no room kept for one
CATEGORY_LINE_PX = 16  # one line of a 12-13 px tick label
CATEGORY_GAP_PX = 8  # between two category labels
GROUPED_BAR_PX = 6  # the thinnest bar of a group that still reads as a bar
# On a slide a taller picture is drawn smaller (it is fitted into the box by its height): six 6 px bars a row
# made the cycle sensitivity 618 px tall and its 12-13 px text 6.5 pt. Thinner bars keep it under ~430 px,
# where its text stays at 9 pt or more; they are still 2 pt thick on the slide.
SLIDE_GROUPED_BAR_PX = 2.5
CATEGORY_LABEL_SHARE = 0.4  # of a picture's width, the most its bars' labels take
X_TITLE_COL_PX = 8  # one display column of an x-axis title
X_TITLE_MIN_COLS = 24  # narrower, an x-axis title would take more lines than the band under the plot holds
DIRECT_LABEL_MAX = 5  # lines named at their ends on screen; more would crowd each other, so a legend names them
DIRECT_LABEL_COLS = 18  # display columns of one line of such a label (it sits in the right margin)
DIRECT_LABEL_NAME = "line-end-label"
PT_PER_INCH = 72
# A hierarchy on a slide is a treemap: an icicle's one-item rows (1/20 of the picture's height for the value
# chain) cannot hold 9 pt type, a treemap's boxes share the picture's area instead.
SLIDE_LEAF_LABEL_COLS = 12  # display columns of a line of a treemap leaf's label on a slide
SLIDE_TREEMAP_HEADER_PX = 30  # the strip a parent's label takes at the top of its box
# Labels of a bubble chart's points (mode "markers+text"), placed where they cover no bubble and no other label.
POINT_LABEL_COL_PX = 7.2  # one display column of a 13 px label (measured: 7.1 px a Latin letter, 6.5 a CJK half)
POINT_LABEL_LINE_PX = 19  # one line of a 13 px label, as Chromium boxes it
POINT_LABEL_GAP_PX = 4  # between a bubble's edge and its label, as plotly sets it
LABEL_POSITIONS = (  # in order of preference: above, as the builders draw it, then below, beside, diagonal
    "top center",
    "bottom center",
    "middle right",
    "middle left",
    "top right",
    "top left",
    "bottom right",
    "bottom left",
)


# The figure's height is the same at every width: it holds the legend as a phone sets it (its plot is then
# the builder's plot height); on a wider column the legend takes fewer rows and the plot gets what they leave.
SCREEN_PHONE_PLOT_PX = PHONE_FIGURE_WIDTH_PX - 70  # a phone's plot width (the figure less the y-axis' margin)
SCREEN_TOP_PX = MODEBAR_PX  # the toolbar's strip above the legend; plotly adds the legend's own rows to it
SCREEN_BOTTOM_PX = 56  # tick labels and the x-axis title (plotly adds more when its axis needs it)
SCREEN_LEGEND_COLS = 20  # display columns of a line of a legend entry on screen
SCREEN_X_TITLE_COLS = 36  # display columns of an x-axis title a phone's plot holds (it is centred under the plot)
SCREEN_SIDE_PX = 12  # left and right: plotly's automargin adds what the tick labels and axis titles need
HOVER_NAME = "%{fullData.name}"  # a hover template's reference to its series' name
# A series whose figures are on another definition than the report's (issue 25): off the axis until asked for.
OFF_AXIS = frozenset({"definition_changed", "another_definition"})


def off_axis_meta(comparability: str) -> dict:
    """A trace's `meta` that marks it as on another definition (`comparability`: a code of OFF_AXIS)."""
    return {"comparability": comparability}


def is_off_axis(trace) -> bool:
    meta = trace.meta if isinstance(trace.meta, dict) else {}
    return meta.get("comparability") in OFF_AXIS


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
    min_text_px: float = 0  # text the picture may draw smaller than this is left out (a slide's 9 pt)


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


def slide_medium(width_px: int, height_px: int, *, box_width_pt: float | None = None, min_text_pt: float | None = None) -> Medium:
    """A slide's picture box: taller than the box when the plot needs it (the deck then fits it in the box).

    `box_width_pt`, `min_text_pt`: the picture box's width on the slide and the smallest type a slide may show
    (the default template's); a picture `width_px` across `box_width_pt` must draw its text at least
    `min_text_pt * width_px / box_width_pt` px."""
    from analysis.deck_template import DEFAULT_TEMPLATE

    box_width_pt = box_width_pt or DEFAULT_TEMPLATE.chart_box.width * PT_PER_INCH
    min_text_pt = min_text_pt or DEFAULT_TEMPLATE.min_text_pt
    min_text_px = math.ceil(min_text_pt * int(width_px) / box_width_pt * 10) / 10
    return Medium("slide", int(width_px), int(height_px), title=False, source=False, min_text_px=min_text_px)


def lay_out(fig: go.Figure, medium: Medium, *, subtitle: str | None = None) -> Picture:
    """`fig` (a builder's figure, not yet laid out) laid out for `medium`; `subtitle`, e.g. the scenario shown,
    goes under the title (after any subtitle the chart has)."""
    if subtitle and medium.title:
        fig = copy_figure(fig)
        own = fig.layout.title.subtitle.text
        fig.update_layout(title_subtitle_text=f"{own} · {subtitle}" if own else subtitle)
    if medium.height_px is None:
        out = screen_layout(fig) if medium is SCREEN else fit_layout(fig, width_px=medium.width_px, top_pad_px=medium.top_pad_px)
        return Picture(out, medium.width_px, round(out.layout.height), medium)
    fig = _fit_categories(fig, medium.width_px)
    if medium.min_text_px:
        fig = _readable_hierarchy(fig, medium.min_text_px)
    out = _fixed(fig, medium, medium.height_px)
    if medium.grow:
        top, bottom = out.layout.margin.t, out.layout.margin.b
        plot_px = out.layout.height - top - bottom
        bar_px = SLIDE_GROUPED_BAR_PX if medium.min_text_px else GROUPED_BAR_PX
        needed_px = max(math.ceil((top + bottom) * MIN_PLOT_SHARE / (1 - MIN_PLOT_SHARE)) + 1, category_rows_px(fig, bar_px))
        if plot_px < needed_px:
            out = _fixed(fig, medium, top + bottom + needed_px)
    height = round(out.layout.height) if medium.grow else medium.height_px
    out.update_layout(height=height, width=medium.width_px)
    _place_point_labels(out, medium.width_px, height)
    return Picture(out, medium.width_px, height, medium)


def is_map(fig: go.Figure) -> bool:
    return fig.layout.map.style is not None or any(tr.type in {"choroplethmap", "scattermap"} for tr in fig.data)


def screen_layout(fig: go.Figure) -> go.Figure:
    """`fig` laid out for the screen at whatever width its column has (see the module's docstring).

    The title, subtitle and source line are left to the page (`screen_texts` gives them); a map keeps the
    phone-width framing of `fit_layout` (its frame is the map's own layout, `analysis.regions.fit_map_view`),
    without title and source line."""
    if is_map(fig):
        return fit_layout(fig, width_px=PHONE_FIGURE_WIDTH_PX, title=False, source=False, top_pad_px=MODEBAR_PX)
    out = copy_figure(fig)
    margin = fig.layout.margin
    top = margin.t if margin.t is not None else 64
    bottom = margin.b if margin.b is not None else 110
    plot_px = max(150, (fig.layout.height or 450) - top - bottom)
    # The title is the page's text now; the figure keeps it as data, so a test or a script can still tell charts apart.
    title = plain_text(fig.layout.title.text or "")
    out.update_layout(title_text="", title_subtitle_text=None, meta={**(fig.layout.meta or {}), "title": title})
    fit_y_axes(out, 1, plot_px)  # a y-axis title longer than the plot is tall is wrapped, not cut at the top
    out.layout.annotations = [a for a in out.layout.annotations if a.name != SOURCE_ANNOTATION_NAME]
    for trace in out.data:
        if is_off_axis(trace):
            trace.visible = "legendonly"  # autorange leaves it out; a click on its legend entry shows it
    axisless = bool(out.data) and all(tr.type in AXISLESS_TRACES for tr in out.data)
    labelled = False if axisless else _label_line_ends(out)
    entries_traces = [] if labelled or out.layout.showlegend is False else legend_traces(out)
    for trace in entries_traces:
        if trace.name:
            # plotly sets a legend that takes more than a row in columns as wide as its widest entry, as many as
            # the plot's width holds: entries of a few words keep three columns on a desktop and one on a phone.
            one_line = plain_text(trace.name)
            trace.name = wrap_text(one_line, SCREEN_LEGEND_COLS)
            _hover_name_on_one_line(trace, one_line)
    entries = [trace.name for trace in entries_traces]
    legend_px = legend_height_px(entries, legend_columns(entries, SCREEN_PHONE_PLOT_PX)) if entries else 0
    top_px = SCREEN_TOP_PX + legend_px
    bottom_px = GAP_PX if axisless else SCREEN_BOTTOM_PX
    height_px = round(top_px + plot_px + bottom_px)
    out.update_layout(
        height=height_px,
        width=None,
        autosize=True,
        margin={
            "t": SCREEN_TOP_PX,
            "b": bottom_px,
            "l": SCREEN_SIDE_PX,
            "r": out.layout.margin.r if labelled else SCREEN_SIDE_PX,
            "autoexpand": True,
        },
        showlegend=bool(entries) and out.layout.showlegend is not False,
        # plotly cuts a series' name in its hover label to 15 characters ("Derived from..."): shown whole.
        hoverlabel_namelength=-1,
        legend={
            "orientation": "h",
            "xref": "paper",
            "x": 0,
            "xanchor": "left",
            # Under the toolbar's strip (always shown on a phone), from the figure's top: plotly pushes the plot
            # down by the rows the legend takes at the column's width.
            "yref": "container",
            "y": 1 - SCREEN_TOP_PX / height_px,
            "yanchor": "top",
            "font": {"size": LEGEND_PT},
            "maxheight": legend_px + MODEBAR_PX,  # plotly's default (half the figure) would scroll it on a phone
            "tracegroupgap": 0,
            "traceorder": "reversed" if "reversed" in (out.layout.legend.traceorder or "") else "normal",
        },
    )
    if not axisless:
        out.update_xaxes(automargin=True)
        out.update_yaxes(automargin=True)
        for name in [n for n in out.layout.to_plotly_json() if n.startswith("xaxis")]:
            axis = out.layout[name]
            if axis.title.text and display_width(plain_text(axis.title.text)) > SCREEN_X_TITLE_COLS:
                axis.title.text = wrap_text(plain_text(axis.title.text), SCREEN_X_TITLE_COLS)
    return out


def _hover_name_on_one_line(trace, one_line: str) -> None:
    """A hover label that names the series (`%{fullData.name}`) names it on one line, not with the line breaks
    the legend's wrapping put into its name."""
    template = trace.hovertemplate
    if isinstance(template, str) and HOVER_NAME in template and trace.name != one_line and "%{" not in one_line:
        trace.hovertemplate = template.replace(HOVER_NAME, one_line)


def screen_texts(fig: go.Figure) -> tuple[str, str, str]:
    """The title, subtitle and source line of a builder's figure, as plain text for the page to show beside
    its screen layout (the browser wraps them at the column's width)."""
    note = source_annotation(fig)
    return (
        plain_text(fig.layout.title.text),
        plain_text(fig.layout.title.subtitle.text),
        plain_text(note.text) if note is not None else "",
    )


def _label_line_ends(fig: go.Figure) -> bool:
    """Few lines (at most DIRECT_LABEL_MAX, nothing else in the legend): each named at its last point, in its
    colour, instead of in a legend. False, and `fig` unchanged, otherwise."""
    entries = [tr for tr in fig.data if tr.name and tr.showlegend is not False and tr.visible is not False]
    lines = [tr for tr in entries if tr.type == "scatter" and "lines" in (tr.mode or "lines") and tr.x is not None]
    if not lines or len(lines) != len(entries) or len(lines) > DIRECT_LABEL_MAX:
        return False
    if any(tr.stackgroup or tr.fill not in (None, "none") for tr in lines):
        return False  # a stacked area's band is named inside it by its legend; its line end is the stack's top
    for trace in lines:
        points = [(x, y) for x, y in zip(trace.x, trace.y, strict=False) if y is not None and y == y]
        if not points:
            continue
        x, y = points[-1]
        colour = trace.line.color or (trace.marker.color if isinstance(trace.marker.color, str) else None)
        fig.add_annotation(
            x=x,
            y=y,
            xref=trace.xaxis or "x",
            yref=trace.yaxis or "y",
            text=wrap_text(plain_text(trace.name), DIRECT_LABEL_COLS),
            name=DIRECT_LABEL_NAME,
            showarrow=False,
            xanchor="left",
            xshift=GAP_PX,
            align="left",
            font={"size": LEGEND_PT, "color": colour or "#1f2933"},
        )
    labels = [a.text for a in fig.layout.annotations if a.name == DIRECT_LABEL_NAME]
    widest = max((display_width(line) for text in labels for line in text.split("<br>")), default=0)
    fig.update_layout(showlegend=False, margin_r=round(widest * LEGEND_COL_PX + GAP_PX * 2))
    return True


def render(picture: Picture, fmt: str, *, scale: float = 1, renderer: images.ImageRenderer | None = None) -> bytes:
    """The picture as PNG/SVG bytes at its own size; raises images.ImagesUnavailable when no browser can draw it."""
    renderer = renderer or images.default_renderer()
    return renderer.render(picture.figure, fmt=fmt, width=picture.width_px, height=picture.height_px, scale=scale)


def category_rows_px(fig: go.Figure, bar_px: float = GROUPED_BAR_PX) -> int:
    """Height a plot needs for its category labels on the y-axis (horizontal bars), each label's lines apart;
    0 for a figure without one."""
    rows: dict[str, int] = {}
    bars = [tr for tr in fig.data if tr.type == "bar" and tr.orientation == "h" and tr.y is not None]
    for trace in bars:
        for label in trace.y:
            rows[str(label)] = str(label).count("<br>") + 1
    # Bars side by side (plotly's default "group") share their category's row: each needs a visible thickness.
    grouped = len(bars) if fig.layout.barmode in (None, "group") else 1
    return round(sum(max(CATEGORY_LINE_PX * lines, bar_px * grouped) + CATEGORY_GAP_PX for lines in rows.values()))


def _fit_categories(fig: go.Figure, width_px: int) -> go.Figure:
    """Horizontal bars' labels wrapped to at most CATEGORY_LABEL_SHARE of the picture's width and given the
    left margin they need (a builder's margin is set for the screen; plotly cuts a longer label at the edge);
    the x-axis title wrapped to the plot's width. A copy when anything changes."""
    bars = [tr for tr in fig.data if tr.type == "bar" and tr.orientation == "h" and tr.y is not None]
    if not bars:
        return fig
    out = copy_figure(fig)
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


Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in px from the picture's top left


def _place_point_labels(fig: go.Figure, width_px: float, height_px: float) -> None:
    """Each labelled bubble's label (a scatter's "markers+text" on fixed axis ranges) put on the side where it
    covers no bubble, no label placed before it and stays in the picture; plotly's one position for all ran
    labels into the bubble one score above (slides 9 and 10). The biggest bubbles are labelled first."""
    margin = fig.layout.margin
    left, top = margin.l or 0, margin.t or 0
    plot_w, plot_h = width_px - left - (margin.r or 0), height_px - top - (margin.b or 0)
    for trace in fig.data:
        if trace.type != "scatter" or "text" not in (trace.mode or "") or "markers" not in (trace.mode or ""):
            continue
        xaxis = fig.layout["xaxis" + (trace.xaxis or "x")[1:]]
        yaxis = fig.layout["yaxis" + (trace.yaxis or "y")[1:]]
        if not xaxis.range or not yaxis.range or xaxis.type == "log" or yaxis.type == "log" or trace.text is None:
            continue
        (x_lo, x_hi), (y_lo, y_hi) = xaxis.range, yaxis.range
        radii = _marker_radii_px(trace)
        bubbles = []
        for x, y, r in zip(trace.x, trace.y, radii, strict=True):
            cx = left + (x - x_lo) / (x_hi - x_lo) * plot_w
            cy = top + (y_hi - y) / (y_hi - y_lo) * plot_h
            bubbles.append((cx, cy, r))
        trace.textposition = _label_positions(bubbles, [str(text) for text in trace.text], width_px, height_px)


def _label_positions(bubbles: list[tuple[float, float, float]], texts: list[str], width_px: float, height_px: float) -> list[str]:
    """Each bubble's label position (LABEL_POSITIONS), biggest bubble first: the first position, in order of
    preference, that keeps the label inside the picture, off every other bubble and off the labels placed before
    it; if none does, the one that does least harm."""
    taken: list[Box] = []
    positions = [LABEL_POSITIONS[0]] * len(bubbles)
    for i in sorted(range(len(bubbles)), key=lambda k: -bubbles[k][2]):
        label_w = max(display_width(line) for line in texts[i].split("<br>")) * POINT_LABEL_COL_PX
        label_h = POINT_LABEL_LINE_PX * (texts[i].count("<br>") + 1)
        others = [b for j, b in enumerate(bubbles) if j != i]
        costs = {}
        for position in LABEL_POSITIONS:
            box = _label_box(bubbles[i], position, label_w, label_h)
            outside = max(0, -box[0]) + max(0, box[2] - width_px) + max(0, -box[1]) + max(0, box[3] - height_px)
            covered = sum(_box_circle_overlap(box, b) for b in others)
            costs[position] = outside * 1000 + covered * 10 + sum(_box_overlap(box, other) for other in taken)
        positions[i] = min(LABEL_POSITIONS, key=lambda p: (costs[p], LABEL_POSITIONS.index(p)))
        taken.append(_label_box(bubbles[i], positions[i], label_w, label_h))
    return positions


def _marker_radii_px(trace) -> list[float]:
    """Each point's marker radius in px, as plotly sizes it (sizemode "area": size / sizeref is the area)."""
    sizes = trace.marker.size
    count = len(trace.x)
    if sizes is None:
        return [3.0] * count
    values = list(sizes) if not isinstance(sizes, int | float) else [sizes] * count
    ref = trace.marker.sizeref or 1
    if trace.marker.sizemode == "area":
        return [math.sqrt(max(v, 0) / 2 / ref) for v in values]
    return [max(v, 0) / ref / 2 for v in values]


def _label_box(bubble: tuple[float, float, float], position: str, width: float, height: float) -> Box:
    cx, cy, r = bubble
    vertical, horizontal = position.split()
    reach = r + POINT_LABEL_GAP_PX
    # Diagonal positions sit off the bubble's corner (plotly sets them at the marker's bounding box).
    if horizontal == "center":
        x0 = cx - width / 2
    elif horizontal == "right":
        x0 = cx + (reach if vertical == "middle" else r * 0.7)
    else:
        x0 = cx - (reach if vertical == "middle" else r * 0.7) - width
    if vertical == "middle":
        y0 = cy - height / 2
    elif vertical == "top":
        y0 = cy - (reach if horizontal == "center" else r * 0.7) - height
    else:
        y0 = cy + (reach if horizontal == "center" else r * 0.7)
    return (x0, y0, x0 + width, y0 + height)


def _box_overlap(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _box_circle_overlap(box: Box, bubble: tuple[float, float, float]) -> float:
    """How far a bubble reaches into a box (0: apart), in px: its radius less its centre's distance to the box."""
    cx, cy, r = bubble
    dx = max(box[0] - cx, 0, cx - box[2])
    dy = max(box[1] - cy, 0, cy - box[3])
    return max(0.0, r - math.hypot(dx, dy))


def _readable_hierarchy(fig: go.Figure, min_text_px: float) -> go.Figure:
    """An icicle as a treemap whose labels are at least `min_text_px` (a slide's 9 pt): each leaf named on two
    short lines (its name, then its count), each parent in the strip at its top; a label that would still be
    drawn smaller is left out (plotly's uniformtext "hide") rather than shrunk. Other figures unchanged."""
    if len(fig.data) != 1 or fig.data[0].type != "icicle":
        return fig
    icicle = fig.data[0].to_plotly_json()
    for key in ("type", "tiling", "uid"):
        icicle.pop(key, None)
    ids = list(icicle["ids"] if icicle.get("ids") is not None else icicle["labels"])
    parents = set(icicle["parents"])
    leaf = [node not in parents for node in ids]
    shown = plain_text(icicle.get("texttemplate") or "%{label}").replace("%{label}", "").strip()
    counts = [""] * len(ids)
    if shown == "%{customdata[0]}" and icicle.get("customdata") is not None:
        counts = [str(row[0]) for row in icicle["customdata"]]
    # A parent's strip shows its label alone (plotly draws no template there): its count goes into the label.
    labels = [
        _leaf_label(str(label)) if is_leaf else f"{plain_text(str(label))}  {count}".strip()
        for label, is_leaf, count in zip(icicle["labels"], leaf, counts, strict=True)
    ]
    icicle.update(
        labels=labels,
        # The builder's template as one line for a parent's strip, and its second part under a leaf's name.
        texttemplate=[
            "<b>%{label}</b>" + (f"<br>{shown}" if is_leaf else f"  {shown}") if shown else "<b>%{label}</b>" for is_leaf in leaf
        ],
        tiling={"packing": "squarify", "pad": 2},
        pathbar={"visible": False},
        marker={**icicle.get("marker", {}), "pad": {"t": SLIDE_TREEMAP_HEADER_PX, "l": 3, "r": 3, "b": 3}},
    )
    out = copy_figure(fig)
    out.data = []
    out.add_trace(go.Treemap(**icicle))
    out.update_layout(uniformtext={"minsize": math.ceil(min_text_px), "mode": "hide"})
    return out


def _leaf_label(label: str) -> str:
    """A leaf's name wrapped for a treemap box on a slide; a name that would take more than two lines drops its
    bracketed gloss ("DSA (domain-specific architecture)" -> "DSA"), which the chart's data keeps."""
    text = plain_text(label)
    wrapped = wrap_text(text, SLIDE_LEAF_LABEL_COLS)
    if wrapped.count("<br>") > 1:
        short = text.split(" (")[0].split("（")[0].strip()
        if short:
            wrapped = wrap_text(short, SLIDE_LEAF_LABEL_COLS)
    return wrapped


def _fixed(fig: go.Figure, medium: Medium, height_px: int) -> go.Figure:
    from analysis.regions import LANDSCAPE_RATIO, frame_map  # late: analysis.regions registers charts (a cycle otherwise)

    is_map = fig.layout.map.style is not None
    # A map on a landscape picture: its legend beside it (frame_map), so the rows under it go to the map.
    legend_beside = is_map and medium.width_px >= LANDSCAPE_RATIO * height_px and fig.layout.showlegend is not False
    out = fit_layout(
        copy_figure(fig).update_layout(showlegend=False) if legend_beside else fig,
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
