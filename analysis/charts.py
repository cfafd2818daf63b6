"""Figure builders: data in, plotly Figure out. One palette, one type scale, one source-line convention."""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go

from analysis.i18n import t

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


def chart_file_name(slug: str, lang: str) -> str:
    """Meaningful download names, e.g. compute-atlas_workload-split_en."""
    return f"compute-atlas_{slug}_{lang}"


def plotly_config(slug: str, lang: str) -> dict:
    """Modebar: PNG at 2× with a meaningful file name; no plotly logo or cloud links."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": chart_file_name(slug, lang), "scale": PNG_SCALE},
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    }


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
    )
    return fig


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
