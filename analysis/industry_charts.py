"""Figures of the industry map: the value chain as an icicle.

Figure builders are pure (data in, Figure out); the `*_chart` functions are the registered ChartSpec builders.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pandas as pd
import plotly.graph_objects as go

from analysis import data, industry
from analysis.charts import PALETTE, apply_house_style
from analysis.chartspec import ChartDef, ChartSpec
from analysis.figure_copy import copy_figure
from analysis.i18n import normalize_lang, t

# One colour per panorama layer, in the layers' sort order.
LAYER_COLOURS = (PALETTE["primary"], PALETTE["tertiary"], PALETTE["quaternary"], PALETTE["secondary"], PALETTE["muted"])
ROOT_COLOUR = "#eef2f7"  # a quiet tint: the root only names the chart
SOURCE_GAP_PX = 10
VALUE_CHAIN_HEIGHT_PX = 860  # about 35 px per listed item, enough for a name and a company count
BOX_LINE_PX = 1.5  # the white rule between two boxes
PICKED_LINE_PX = 3  # the rules once a box is chosen: its ink outline reads as a frame around it
FADED_OPACITY = 0.45  # the other boxes' once one is chosen


# ---------------------------------------------------------------- the value chain (icicle)


def value_chain_tree(nodes: pd.DataFrame, root: Mapping, lang: str) -> pd.DataFrame:
    """The tree as drawn: one row per node (the root from the panorama's source row), with label and hover text.

    `root` needs source_id, report_section and player_count (distinct players placed anywhere in the panorama).
    """
    lang = normalize_lang(lang)
    layer_order = nodes[nodes["level"] == industry.NODE_LEVEL_LAYER].sort_values("sort_order")["node_id"].tolist()
    colours = {layer: LAYER_COLOURS[i % len(LAYER_COLOURS)] for i, layer in enumerate(layer_order)}
    rows = [
        {
            "id": root["source_id"],
            "parent": "",
            "label": t("industry.root_label", lang, section=root["report_section"]),
            "node_type": "root",
            "layer_id": "",
            "player_count": int(root["player_count"]),
            "colour": ROOT_COLOUR,
        }
    ]
    for row in nodes.sort_values(["level", "sort_order"]).to_dict("records"):
        rows.append(
            {
                "id": row["node_id"],
                "parent": row["parent_id"] if isinstance(row["parent_id"], str) and row["parent_id"] else root["source_id"],
                "label": row[f"name_{lang}"],
                "node_type": row["node_type"],
                "layer_id": row["layer_id"],
                "player_count": int(row["player_count"]),
                "colour": colours[row["layer_id"]],
            }
        )
    tree = pd.DataFrame(rows)
    tree["players_text"] = [industry.company_count_text(c, lang) if c else "" for c in tree["player_count"]]
    tree["type_text"] = [t(f"industry.node_type.{x}", lang) for x in tree["node_type"]]
    return tree


def value_chain_figure(tree: pd.DataFrame, *, title: str, source_line: str, lang: str) -> go.Figure:
    """Icicle, root on the left: the layers read top to bottom as in the report's panorama (MaaS over chips).

    Box heights count the items the report's chart lists (every leaf the same), not market size.
    """
    fig = go.Figure(
        go.Icicle(
            ids=tree["id"],
            labels=tree["label"],
            parents=tree["parent"],
            marker={"colors": tree["colour"], "line": {"color": "white", "width": BOX_LINE_PX}},
            customdata=tree[["players_text", "type_text"]].to_numpy(),
            texttemplate="<b>%{label}</b>  %{customdata[0]}",
            hovertemplate="<b>%{label}</b><br>%{customdata[1]}<br>%{customdata[0]}<extra></extra>",
            tiling={"orientation": "h"},
            textfont={"size": 13},
            insidetextfont={"color": "white"},
            sort=False,
            root={"color": ROOT_COLOUR},
            outsidetextfont={"color": PALETTE["ink"]},
        )
    )
    fig = apply_house_style(fig, title=title, source_line=source_line, lang=lang)
    fig.update_layout(height=VALUE_CHAIN_HEIGHT_PX, margin={"l": 8, "r": 8, "t": 56, "b": 56})
    return pin_source_line(fig)


def highlight_node(fig: go.Figure, node_id: str | None) -> go.Figure:
    """A copy of the icicle with `node_id`'s box picked out (outlined in ink, the boxes outside its branch faded,
    their names in ink);
    the figure itself when no node, the root (the whole chart) or an unknown id is chosen."""
    icicles = [i for i, trace in enumerate(fig.data) if trace.type == "icicle"]
    if not node_id or not icicles:
        return fig
    trace = fig.data[icicles[0]]
    ids, parents = [str(i) for i in trace.ids], [str(p) for p in trace.parents]
    if node_id not in ids or not parents[ids.index(node_id)]:
        return fig
    parent_of = dict(zip(ids, parents, strict=True))
    # The box, what lies under it and the boxes it lies under keep their colour.
    branch = {i for i in ids if node_id in _line_up(i, parent_of)} | set(_line_up(node_id, parent_of))
    out = copy_figure(fig)
    picked = out.data[icicles[0]]
    picked.marker.line.color = [PALETTE["ink"] if i == node_id else "white" for i in ids]
    # One width for every box: plotly's zoom on a click draws NaN paths from a per-box width.
    picked.marker.line.width = PICKED_LINE_PX
    colours = list(picked.marker.colors)
    picked.marker.colors = [c if i in branch else _faded(c) for i, c in zip(ids, colours, strict=True)]
    picked.insidetextfont.color = ["white" if i in branch else PALETTE["ink"] for i in ids]  # white on a pale box fades out
    picked.meta = {**(picked.meta or {}), "picked": node_id}
    return out


def _line_up(node_id: str, parent_of: dict[str, str]) -> list[str]:
    """`node_id` and the boxes it lies under, up to the root."""
    line = []
    while node_id:
        line.append(node_id)
        node_id = parent_of.get(node_id, "")
    return line


def _faded(colour: str) -> str:
    """`colour` (#rrggbb) mixed with white to FADED_OPACITY: a faded box keeps its layer's hue."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    mix = [round(c * FADED_OPACITY + 255 * (1 - FADED_OPACITY)) for c in (red, green, blue)]
    return "#" + "".join(f"{c:02x}" for c in mix)


def pin_source_line(fig: go.Figure) -> go.Figure:
    """Keep the in-figure source line just under the plot of a tall figure (house style places it at a
    fixed fraction of the plot height, which falls outside the bottom margin when the plot is tall)."""
    margin = fig.layout.margin
    plot_px = fig.layout.height - margin.t - margin.b
    fig.layout.annotations[-1].update(y=-SOURCE_GAP_PX / plot_px)
    return fig


def value_chain_table(tree: pd.DataFrame, lang: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("industry.col.node_id", lang): tree["id"],
            t("industry.col.parent_id", lang): tree["parent"],
            t("industry.col.node", lang): tree["label"],
            t("industry.col.node_type", lang): tree["type_text"],
            t("industry.col.player_count", lang): tree["player_count"],
        }
    )


def value_chain_chart(con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object], lang: str) -> ChartSpec:
    nodes = industry.value_chain(con)
    root = industry.panorama_root(con) | {"player_count": industry.placed_player_count(con)}
    tree = value_chain_tree(nodes, root, lang)
    source_ids = sorted({industry.PANORAMA_SOURCE_ID, *nodes["source_id"]})
    source_line = data.source_line(con, source_ids, lang)
    title = t("industry.chart.value_chain.title", lang)
    layers = tree[tree["parent"] == industry.PANORAMA_SOURCE_ID]
    busiest = layers.sort_values("player_count", ascending=False).iloc[0]
    return ChartSpec(
        slug="industry-value-chain",
        title=title,
        takeaway=t(
            "industry.chart.value_chain.takeaway",
            lang,
            layers=len(layers),
            nodes=len(nodes),
            layer=busiest["label"],
            count=int(busiest["player_count"]),
        ),
        figure=value_chain_figure(tree, title=title, source_line=source_line, lang=lang),
        data=value_chain_table(tree, lang),
        source_line=source_line,
        native=None,
    )


CHARTS = (ChartDef("industry-value-chain", "industry", "industry.chart.value_chain.title", value_chain_chart),)
