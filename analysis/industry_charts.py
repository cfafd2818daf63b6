"""Figures of the industry map: the value chain as an icicle, and the money along the chain as bars.

Figure builders are pure (data in, Figure out); the `*_chart` functions are the registered ChartSpec builders.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pandas as pd
import plotly.graph_objects as go

from analysis import data, industry
from analysis.charts import PALETTE, apply_house_style
from analysis.chartspec import ChartDef, ChartSpec, NativeChart, NativeSeries
from analysis.format import format_number
from analysis.i18n import normalize_lang, t

# One colour per panorama layer, in the layers' sort order.
LAYER_COLOURS = (PALETTE["primary"], PALETTE["tertiary"], PALETTE["quaternary"], PALETTE["secondary"], PALETTE["muted"])
DERIVED_PATTERN = "/"  # hatching marks bars computed by us rather than printed in the report
ROOT_COLOUR = "#eef2f7"  # a quiet tint: the root only names the chart
SOURCE_GAP_PX = 10
VALUE_CHAIN_HEIGHT_PX = 860  # about 35 px per listed item, enough for a name and a company count
PERCENT = Decimal(100)
PRINTED_STEP = Decimal("0.1")  # the market figure as printed (317.9 亿美元)
DERIVED_STEP = Decimal("1")  # derived chip cost, in 亿美元 (= USD 0.1 bn)

# The two figures the report gives for the money between chips and servers.
AI_SERVER_MARKET_FIGURE = "global_ai_server_market_2025"
CHIP_COST_SHARE_FIGURE = "hp_server_chip_cost_share"


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
            marker={"colors": tree["colour"], "line": {"color": "white", "width": 1.5}},
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


# ---------------------------------------------------------------- the money between chips and servers


def chip_money(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The 2025 AI server market and the chip cost inside it at both ends of the printed chip share.

    Derived, not printed: IDC's 2018 chip share of high-performance server cost (50%–83%) applied
    to IDC's 2025 global AI server market forecast, both as quoted by the report.
    """
    figures = data.figures(con, figure_ids=[AI_SERVER_MARKET_FIGURE, CHIP_COST_SHARE_FIGURE]).set_index("figure_id")
    missing = {AI_SERVER_MARKET_FIGURE, CHIP_COST_SHARE_FIGURE} - set(figures.index)
    if missing:
        raise ValueError(f"figures missing for the chip money chart: {', '.join(sorted(missing))}")
    market, share = figures.loc[AI_SERVER_MARKET_FIGURE], figures.loc[CHIP_COST_SHARE_FIGURE]
    market_value = Decimal(repr(float(market["value"])))
    rows = [{"item": "market", "share_percent": None, "value": float(market_value), "kind": market["kind"]}]
    for end in ("low", "high"):
        share_percent = Decimal(repr(float(share[f"value_{end}"])))
        rows.append(
            {
                "item": f"chips_{end}",
                "share_percent": float(share_percent),
                "value": float(market_value * share_percent / PERCENT),
                "kind": "derived",
            }
        )
    frame = pd.DataFrame(rows)
    frame["unit"] = market["unit"]
    frame["period"] = market["period"]
    for column in ("format_zh", "format_en", "en_scale"):
        frame[column] = market[column]
    frame.attrs["source_ids"] = sorted({market["source_id"], share["source_id"]})
    return frame


def _money_text(row: Mapping, lang: str) -> str:
    # Derived amounts are rounded to 1 亿美元 (USD 0.1 bn), half up: the range is too rough for more digits.
    step = PRINTED_STEP if row.get("kind") != "derived" else DERIVED_STEP
    shown = Decimal(repr(float(row["value"]))).quantize(step, rounding=ROUND_HALF_UP)
    return format_number(float(shown), row, lang)


def chip_money_labels(money: pd.DataFrame, lang: str) -> list[str]:
    labels = []
    for row in money.to_dict("records"):
        if row["item"] == "market":
            labels.append(t("industry.chart.money.market", lang, year=row["period"]))
        else:
            labels.append(t("industry.chart.money.chips", lang, share=f"{row['share_percent']:g}%"))
    return labels


def chip_money_figure(money: pd.DataFrame, *, title: str, source_line: str, lang: str) -> go.Figure:
    """Three bars: the market as printed, the chip cost at each end of the share (hatched: derived)."""
    labels = chip_money_labels(money, lang)
    derived = money["kind"] == "derived"
    scale = float(money["en_scale"].iloc[0]) if lang == "en" else 1.0
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=money["value"] * scale,
            text=[_money_text(r, lang) for r in money.to_dict("records")],
            textposition="outside",
            marker={
                "color": [PALETTE["secondary"] if d else PALETTE["primary"] for d in derived],
                "pattern": {"shape": [DERIVED_PATTERN if d else "" for d in derived], "fgcolor": "white"},
            },
            hovertemplate="%{x}: %{text}<extra></extra>",
        )
    )
    fig = apply_house_style(fig, title=title, source_line=source_line, lang=lang)
    fig.update_yaxes(title_text=t("industry.chart.money.y", lang), rangemode="tozero")
    fig.update_yaxes(range=[0, float(money["value"].max()) * scale * 1.18])
    fig.update_layout(showlegend=False, height=440)
    return fig


def chip_money_table(money: pd.DataFrame, lang: str) -> pd.DataFrame:
    scale = float(money["en_scale"].iloc[0]) if lang == "en" else 1.0
    return pd.DataFrame(
        {
            t("industry.col.item", lang): chip_money_labels(money, lang),
            t("industry.col.money", lang): (money["value"] * scale).round(2),
            t("industry.col.chip_share", lang): money["share_percent"],
            t("column.kind", lang): [t(f"kind.{k}", lang) for k in money["kind"]],
        }
    )


def chip_money_chart(con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object], lang: str) -> ChartSpec:
    lang = normalize_lang(lang)
    money = chip_money(con)
    source_line = data.source_line(con, money.attrs["source_ids"], lang)
    title = t("industry.chart.money.title", lang, year=money["period"].iloc[0])
    scale = float(money["en_scale"].iloc[0]) if lang == "en" else 1.0
    by_item = money.set_index("item")
    texts = {item: _money_text(by_item.loc[item].to_dict(), lang) for item in by_item.index}
    native = NativeChart(
        kind="column",
        categories=tuple(chip_money_labels(money, lang)),
        series=(NativeSeries(t("industry.chart.money.y", lang), tuple(round(float(v) * scale, 2) for v in money["value"])),),
        y_title=t("industry.chart.money.y", lang),
        number_format="0.0",
    )
    return ChartSpec(
        slug="industry-chip-money",
        title=title,
        takeaway=t(
            "industry.chart.money.takeaway",
            lang,
            low=texts["chips_low"],
            high=texts["chips_high"],
            market=texts["market"],
            year=by_item.loc["market", "period"],
            share_low=f"{by_item.loc['chips_low', 'share_percent']:g}%",
            share_high=f"{by_item.loc['chips_high', 'share_percent']:g}%",
        ),
        figure=chip_money_figure(money, title=title, source_line=source_line, lang=lang),
        data=chip_money_table(money, lang),
        source_line=source_line,
        assumptions={t("industry.chart.money.assumption_label", lang): t("industry.chart.money.assumption", lang)},
        native=native,
    )


CHARTS = (
    ChartDef("industry-value-chain", "industry", "industry.chart.value_chain.title", value_chain_chart),
    ChartDef("industry-chip-money", "industry", "industry.chart.money.title", chip_money_chart),
)
