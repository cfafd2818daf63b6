"""Figure builders: data in, plotly Figure out. One palette, one type scale, one source-line convention."""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go

from analysis.figure_copy import copy_figure
from analysis.i18n import catalog, normalize_lang, t

PALETTE = {
    "ink": "#1f2933",
    "muted": "#6b7785",
    "grid": "#e4e7eb",
    "primary": "#1f4e79",
    "secondary": "#c8553d",
    "tertiary": "#4a7c59",
    "quaternary": "#8a6fb0",
}
SEGMENT_COLOURS = {"training": PALETTE["secondary"], "inference": PALETTE["primary"]}
FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'
PNG_SCALE = 2
# Pixels below the plot area: clears the tick labels and the x-axis title at any figure height
# (a paper-relative offset would drift out of the bottom margin on tall figures).
SOURCE_LINE_OFFSET_PX = -58


def tint(hex_colour: str, share_of_white: float) -> str:
    """A lighter shade of a palette colour, so a pair (lower/higher, before/after) stays in the one palette
    and shows as two colours in a legend (marker opacity does not reach the legend's swatch)."""
    rgb = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(c + (255 - c) * share_of_white) for c in rgb]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def chart_file_name(slug: str, lang: str) -> str:
    """Meaningful download names, e.g. compute-atlas_workload-split_en."""
    return f"compute-atlas_{slug}_{lang}"


def plotly_config(slug: str, lang: str, *, image_button: bool = True) -> dict:
    """Modebar: PNG at 2× with a meaningful file name; no plotly logo or cloud links.

    `image_button=False`: no picture button (a chart with an "Image (PNG)" download laid out for a file)."""
    config = {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": chart_file_name(slug, lang), "scale": PNG_SCALE},
        "modeBarButtonsToRemove": ["lasso2d", "select2d"] + ([] if image_button else ["toImage"]),
    }
    return config | plotly_locale(lang)


PLOTLY_LOCALE = {"zh": "zh-CN"}  # plotly.js's name for the language of the modebar's tooltips


def plotly_locale(lang: str) -> dict:
    """The modebar's tooltips in `lang`: plotly.js reads `config.locales` inline, so no locale file has to be
    registered with the plotly.js that Streamlit bundles. English is plotly's own text."""
    name = PLOTLY_LOCALE.get(normalize_lang(lang))
    if name is None:
        return {}
    keys = [key for key in catalog("en") if key.startswith("modebar.")]
    dictionary = {t(key, "en"): t(key, lang) for key in keys}  # plotly looks its strings up by their English text
    return {"locale": name, "locales": {name: {"dictionary": dictionary}}}


SOURCE_ANNOTATION_NAME = "source-line"
SOURCE_LINE_WRAP_CHARS = 95  # keeps the in-figure source line inside a 1000 px export


def full_source_text(source_line: str, lang: str) -> str:
    return t("chart.source_line", lang, sources=source_line)


def _display_width(text: str) -> int:
    # CJK characters take two columns.
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def wrap_source_text(text: str, width: int = SOURCE_LINE_WRAP_CHARS) -> str:
    """Break the source line at separators into <br>-joined lines of about `width` characters."""
    pieces = re.split(r"(?<=[;；，,])\s*", text)
    lines, current = [], ""
    for piece in pieces:
        if current and _display_width(current) + _display_width(piece) > width:
            lines.append(current)
            current = piece
        else:
            current = f"{current} {piece}".strip() if current and current[-1] in ";," else current + piece
    if current:
        lines.append(current)
    return "<br>".join(lines)


def apply_house_style(fig: go.Figure, *, title: str, source_line: str, lang: str) -> go.Figure:
    """Title, fonts, grid and the source line drawn into the figure so exported images carry it."""
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 17, "color": PALETTE["ink"]}},
        font={"family": FONT_FAMILY, "size": 13, "color": PALETTE["ink"]},
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 60, "r": 24, "t": 64, "b": 110},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        hoverlabel={"font": {"family": FONT_FAMILY}},
    )
    fig.update_xaxes(showgrid=False, linecolor=PALETTE["muted"], ticks="outside", tickcolor=PALETTE["muted"])
    fig.update_yaxes(gridcolor=PALETTE["grid"], zeroline=False)
    fig.add_annotation(
        text=wrap_source_text(full_source_text(source_line, lang)),
        xref="paper",
        yref="paper",
        x=0,
        y=0,
        yshift=SOURCE_LINE_OFFSET_PX,
        xanchor="left",
        yanchor="top",
        showarrow=False,
        align="left",
        font={"size": 11, "color": PALETTE["muted"]},
        name=SOURCE_ANNOTATION_NAME,
    )
    return fig


# ---------------------------------------------------------------- layout for any width
# Plotly places titles, legends and annotations in fractions of the figure, but what must not collide is
# measured in pixels, and the app never learns the screen's width. So the layout reserves room for the
# narrowest screen we support (a 390 px phone): titles and source lines are wrapped to fit it, the legend
# sits under the plot with rows enough for it, and the title starts below the toolbar.
PHONE_FIGURE_WIDTH_PX = 350  # a 390 px screen less the page's padding
MODEBAR_PX = 36  # the toolbar's strip at the top right (26 px from 2 px down); the title starts under it
TITLE_PT = 16
TITLE_LINE_PX = 22
TITLE_EXTRA_LINE_LIFT_PX = 12
SUBTITLE_LINE_PX = 17
TITLE_WRAP_COLS = 40  # display columns (a CJK character is two) of a 16 px title in PHONE_FIGURE_WIDTH_PX
SUBTITLE_WRAP_COLS = 52
SOURCE_PT = 10
SOURCE_LINE_PX = 14
SOURCE_WRAP_COLS = 60
LEGEND_PT = 12
LEGEND_ROW_PX = 22  # one row of entries at LEGEND_PT, as plotly spaces them (measured in Chromium)
LEGEND_LINE_PX = 16  # each further line of a wrapped entry
LEGEND_SYMBOL_PX = 56  # swatch (40 px for a line), its gap and the gap to the next entry
LEGEND_COL_PX = 7.2  # one display column at LEGEND_PT
AXIS_BAND_PX = 80  # tick labels (turned upright when crowded) and the x-axis title under a cartesian plot
GAP_PX = 8
# A y-axis title is drawn at 16 px (plotly: 1.2 × the figure's 13 px): a CJK character 16 px along the plot's
# height, i.e. 8 px a display column; each line about 22 px across (measured in Chromium, Noto Sans CJK).
Y_TITLE_COL_PX = 8  # one display column of a y-axis title, along the plot's height
Y_TITLE_LINE_PX = 22
TICK_COL_PX = 6.6  # one display column of a tick label
WIDE_PICTURE_SCALE = 2.5  # from this many phone widths on, a figure has room for whole tick labels
MIN_PLOT_PX = 150
DEFAULT_HEIGHT_PX = 450  # plotly's, when a figure sets none
DEFAULT_MARGIN = {"t": 64, "b": 110}  # apply_house_style's, from which a figure's plot height is read
HIERARCHY_TRACES = frozenset({"icicle", "treemap", "sunburst", "pie"})  # their legend (if any) is not per trace
AXISLESS_TRACES = frozenset({"choroplethmap", "scattermap"}) | HIERARCHY_TRACES


# A short aside in full-width parentheses ("（口径已变）") is one token: a line never breaks inside it.
WRAP_TOKEN = r"（[^（）]{1,8}）|[\u2e80-\uffff]|[^\s\u2e80-\uffff]+\s*|\s+"
ORPHAN_COLS = 6  # display columns: a last line narrower than three CJK characters takes some of the line above


def wrap_text(text: str, width_cols: int) -> str:
    """Break plain text into <br>-joined lines of at most `width_cols` display columns, at spaces where there
    are any (Chinese has none: it breaks between characters)."""
    lines: list[str] = []
    for paragraph in str(text).split("<br>"):
        tokens: list[list[str]] = [[]]
        for token in re.findall(WRAP_TOKEN, paragraph):
            current = "".join(tokens[-1])
            if current and _display_width(current.rstrip()) + _display_width(token.rstrip()) > width_cols:
                tokens.append([token.lstrip()] if token.strip() else [])
            else:
                tokens[-1].append(token)
        # No last line of a character or two ("…智算中" / "心"): move the previous line's end down to it.
        while (
            len(tokens) > 1
            and len(tokens[-2]) > 1
            and _display_width("".join(tokens[-1]).strip()) < ORPHAN_COLS
            and _display_width("".join(tokens[-2][:-1]).rstrip()) >= _display_width("".join(tokens[-1]).strip())
            and _display_width("".join(tokens[-2][-1:] + tokens[-1]).strip()) <= width_cols
        ):
            tokens[-1].insert(0, tokens[-2].pop())
        lines.extend("".join(line).strip() for line in tokens)
    return "<br>".join(line for line in lines if line) or ""


def _line_count(text: str | None) -> int:
    return 0 if not text else text.count("<br>") + 1


def plain_text(text: str | None) -> str:
    """Text without markup, line breaks turned into spaces."""
    return _plain(text)


def display_width(text: str) -> int:
    """Display columns of `text` (a CJK character takes two)."""
    return _display_width(text)


def _plain(text: str | None) -> str:
    return re.sub(r"<br\s*/?>", " ", re.sub(r"<(?!br)[^>]+>", "", text or "")).replace("  ", " ").strip()


def source_annotation(fig: go.Figure):
    """The in-figure source line apply_house_style added (None if the figure has none)."""
    named = [a for a in fig.layout.annotations if a.name == SOURCE_ANNOTATION_NAME]
    return named[-1] if named else None


def _legend_traces(fig: go.Figure) -> list:
    """The traces with an entry in the legend: plotly gives every shown trace its own, legend group or not."""
    traces = []
    for trace in fig.data:
        shown = getattr(trace, "showlegend", None)
        if shown is False or not trace.name or trace.type in HIERARCHY_TRACES:
            continue
        if shown is None and trace.type in {"choroplethmap", "choropleth"}:
            continue  # these show no legend entry unless asked to
        traces.append(trace)
    return traces


def legend_traces(fig: go.Figure) -> list:
    """The traces with an entry in the legend."""
    return _legend_traces(fig)


def legend_entries(fig: go.Figure) -> list[str]:
    """The legend's entries as shown."""
    return [trace.name for trace in _legend_traces(fig)]


def legend_columns(entries: list[str], width_px: float, max_columns: int = 4) -> int:
    """The most equal columns (entries side by side) in which every entry fits its share of `width_px`.

    A fixed share per entry makes the rows the same at every width wider than `width_px`, so the room
    under the plot can be reserved without knowing the screen (plotly would otherwise wrap at its own will).
    """
    widest = max(
        (LEGEND_SYMBOL_PX + LEGEND_COL_PX * _display_width(_plain(line)) for e in entries for line in e.split("<br>")), default=0
    )
    columns = max_columns
    while columns > 1 and widest > width_px / columns:
        columns -= 1
    return columns


def legend_height_px(entries: list[str], columns: int) -> int:
    """Pixels of a legend of `entries` in `columns` equal columns: each row as tall as its tallest entry."""
    height = 0
    for start in range(0, len(entries), columns):
        lines = max(entry.count("<br>") + 1 for entry in entries[start : start + columns])
        height += LEGEND_ROW_PX + LEGEND_LINE_PX * (lines - 1)
    return height


def _plot_height_px(fig: go.Figure) -> float:
    margin = fig.layout.margin
    top = margin.t if margin.t is not None else DEFAULT_MARGIN["t"]
    bottom = margin.b if margin.b is not None else DEFAULT_MARGIN["b"]
    return max(MIN_PLOT_PX, (fig.layout.height or DEFAULT_HEIGHT_PX) - top - bottom)


def fit_layout(
    fig: go.Figure,
    *,
    width_px: float = PHONE_FIGURE_WIDTH_PX,
    title: bool = True,
    source: bool = True,
    height_px: float | None = None,
    top_pad_px: float = MODEBAR_PX,
) -> go.Figure:
    """A copy of `fig` laid out so nothing overlaps at `width_px` and wider: title (wrapped) under the toolbar,
    the plot, the legend in rows under it, then the source line (wrapped). The plot keeps its height.

    The app calls it with the phone width; a slide picture calls it with its own width and height
    (`height_px`: the plot takes what the rest leaves) and without title and source (the slide carries both).
    `top_pad_px`: room above the title (the toolbar's on screen; a picture has no toolbar).
    Which medium gets which arguments is decided in `analysis.chart_layout`.
    """
    out = copy_figure(fig)
    plot_px = _plot_height_px(fig)
    axis_px = 0 if fig.data and all(tr.type in AXISLESS_TRACES for tr in fig.data) else AXIS_BAND_PX
    wrap_scale = width_px / PHONE_FIGURE_WIDTH_PX
    top_px = GAP_PX
    if title and out.layout.title.text:
        title_text = wrap_text(_plain_keep_breaks(out.layout.title.text), int(TITLE_WRAP_COLS * wrap_scale))
        subtitle = out.layout.title.subtitle.text
        subtitle_text = wrap_text(_plain_keep_breaks(subtitle), int(SUBTITLE_WRAP_COLS * wrap_scale)) if subtitle else None
        top_px = (
            top_pad_px
            + (TITLE_LINE_PX + TITLE_EXTRA_LINE_LIFT_PX) * _line_count(title_text)
            + SUBTITLE_LINE_PX * _line_count(subtitle_text)
            + GAP_PX
        )
        out.update_layout(
            title={
                "text": title_text,
                "subtitle_text": subtitle_text,
                "x": 0,
                "xref": "container",
                "xanchor": "left",
                "y": 1,
                "yref": "container",
                "yanchor": "top",
                # plotly lifts a title of several lines by part of a line each: push it back under the toolbar
                "pad": {"t": top_pad_px + TITLE_EXTRA_LINE_LIFT_PX * (_line_count(title_text) - 1), "l": 8},
                "font": {"size": TITLE_PT},
            }
        )
    else:
        out.update_layout(title_text="", title_subtitle_text=None)
    base_margin_l = out.layout.margin.l
    _fit_y_axes(out, wrap_scale, plot_px if height_px is None else height_px - top_px - AXIS_BAND_PX)
    margin_l = out.layout.margin.l if out.layout.margin.l is not None else 60
    margin_r = out.layout.margin.r if out.layout.margin.r is not None else 24
    legend_width_px = width_px - margin_l - margin_r  # plotly wraps a horizontal legend at the plot's width
    legend_cols = int((legend_width_px - LEGEND_SYMBOL_PX) / LEGEND_COL_PX)
    for trace in _legend_traces(out):  # an entry wider than the screen is wrapped, not cut
        if _display_width(_plain(trace.name)) > legend_cols:
            trace.name = wrap_text(_plain(trace.name), legend_cols)
    entries = legend_entries(out) if out.layout.showlegend is not False else []
    columns = legend_columns(entries, legend_width_px, max_columns=max(1, int(wrap_scale * 2)))
    legend_px = legend_height_px(entries, columns)
    note = source_annotation(out)
    source_text = None
    if note is not None:
        if source:
            source_text = wrap_text(_plain_keep_breaks(note.text), int(SOURCE_WRAP_COLS * wrap_scale))
        out.layout.annotations = [a for a in out.layout.annotations if a.name != SOURCE_ANNOTATION_NAME]
    legend_top_px = axis_px + (GAP_PX if entries else 0)
    source_top_px = legend_top_px + legend_px + GAP_PX
    bottom_px = source_top_px + SOURCE_LINE_PX * _line_count(source_text) + GAP_PX
    if source_text:
        out.add_annotation(
            text=source_text,
            name=SOURCE_ANNOTATION_NAME,
            xref="paper",
            yref="paper",
            x=0,
            y=0,
            xshift=-(margin_l - 8),  # from the figure's left edge, not the plot's: the whole width is needed
            yshift=-source_top_px,
            xanchor="left",
            yanchor="top",
            showarrow=False,
            align="left",
            font={"size": SOURCE_PT, "color": PALETTE["muted"]},
        )
    if height_px is not None:
        plot_px = max(MIN_PLOT_PX, height_px - top_px - bottom_px)
        # The legend and the source line have taken their rows: y-axis titles wrapped for the plot that is left
        # (a title longer than the plot runs off the picture's top).
        first_margin_l = out.layout.margin.l
        out.layout.margin.l = base_margin_l
        _fit_y_axes(out, wrap_scale, plot_px)
        note = source_annotation(out)
        if note is not None and out.layout.margin.l != first_margin_l:
            note.xshift = -((out.layout.margin.l if out.layout.margin.l is not None else 60) - 8)
    # Legend groups ("grouped", plotly's default when a figure has any) are stacked one under another, each in
    # its own column, whatever the width: the rows reserved above would not hold them. Entries go row by row.
    order = out.layout.legend.traceorder or ""
    out.update_layout(
        height=round(top_px + plot_px + bottom_px),
        margin={"t": top_px, "b": bottom_px},
        legend={
            "orientation": "h",
            "xref": "paper",
            "x": 0,
            "xanchor": "left",
            "yref": "paper",
            "y": -legend_top_px / plot_px,
            "yanchor": "top",
            "font": {"size": LEGEND_PT},
            "itemwidth": 30,
            "entrywidthmode": "fraction",
            "entrywidth": 1 / columns,
            "tracegroupgap": 0,
            "traceorder": "reversed" if "reversed" in order else "normal",
        },
    )
    return out


def fit_y_axes(fig: go.Figure, wrap_scale: float, plot_px: float) -> None:
    """`_fit_y_axes`, for the screen's layout (`analysis.chart_layout.screen_layout`)."""
    _fit_y_axes(fig, wrap_scale, plot_px)


def _fit_y_axes(fig: go.Figure, wrap_scale: float, plot_px: float) -> None:
    """A y-axis title longer than the plot is tall is wrapped (plotly would cut it at the figure's top), and
    tick labels wrapped for a phone are set whole again on a wide picture, with the margin they need."""
    for name in [n for n in fig.layout.to_plotly_json() if n.startswith("yaxis")]:
        axis = fig.layout[name]
        extra_px = 0
        title = axis.title.text
        if title:
            # A gap kept at both ends: a line as long as the plot is tall reaches the picture's top edge when the
            # picture has no title above the plot (a slide's).
            cols = max(10, int((plot_px - 2 * GAP_PX) / Y_TITLE_COL_PX))
            wrapped = wrap_text(_plain(title), cols)
            extra_px += Y_TITLE_LINE_PX * (_line_count(wrapped) - 1)
            axis.title.text = wrapped
        if axis.ticktext and wrap_scale >= WIDE_PICTURE_SCALE and any("<br>" in str(x) for x in axis.ticktext):
            axis.ticktext = [_plain(str(x)) for x in axis.ticktext]
            widest = max(_display_width(str(x)) for x in axis.ticktext)
            fig.layout.margin.l = max(fig.layout.margin.l or 0, round(widest * TICK_COL_PX + GAP_PX * 3))
        if extra_px:
            fig.layout.margin.l = (fig.layout.margin.l if fig.layout.margin.l is not None else 60) + extra_px


def _plain_keep_breaks(text: str | None) -> str:
    """Text without markup except line breaks turned into spaces, ready to be wrapped again."""
    return _plain(text)


def workload_split_figure(split: pd.DataFrame, *, source_line: str, lang: str) -> go.Figure:
    """Stacked area of the training vs inference share of China's AI server workload (percent)."""
    missing = sorted({"year", "segment", "share_percent"} - set(split.columns))
    if missing:
        raise ValueError(f"workload split is missing column(s): {', '.join(missing)}")
    fig = go.Figure()
    for segment in ("inference", "training"):
        part = split[split["segment"] == segment].sort_values("year")
        fig.add_trace(
            go.Scatter(
                x=part["year"],
                y=part["share_percent"],
                name=t(f"segment.{segment}", lang),
                mode="lines+markers",
                stackgroup="share",
                line={"color": SEGMENT_COLOURS[segment], "width": 1.5},
                hovertemplate="%{x}: %{y:.1f}%<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_yaxes(title_text=t("chart.workload.y", lang), range=[0, 100], ticksuffix="%")
    fig.update_xaxes(title_text=t("chart.year", lang), dtick=1)
    return apply_house_style(fig, title=t("chart.workload.title", lang), source_line=source_line, lang=lang)


def workload_split_table(split: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The chart's own data, wide by segment, with translated headers, for CSV download."""
    wide = split.pivot(index="year", columns="segment", values="share_percent").reset_index()
    return wide.rename(
        columns={
            "year": t("chart.year", lang),
            "training": t("column.training_share_percent", lang),
            "inference": t("column.inference_share_percent", lang),
        }
    )
