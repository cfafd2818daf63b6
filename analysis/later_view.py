"""Later figures for people: the sources table of a series, the forecast-vs-later chart per series and the
report card as a chart, all registered for the Forecast-vs-actual page and the briefing pack."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pandas as pd
import plotly.graph_objects as go

from analysis import data, later, market, scorecard
from analysis.charts import PALETTE, _display_width, apply_house_style
from analysis.chartspec import ChartDef, ChartSpec, NativeChart, NativeSeries
from analysis.format import format_figure, rate_text
from analysis.i18n import t
from analysis.market import series_label, unit_label
from analysis.market_charts import HALF_YEAR, LEGEND_RANK, _scaled, _source_line, add_later_traces, later_label
from analysis.notes import note_text
from analysis.scenario import Param

SOURCE_COLUMNS = ("year", "value", "kind", "publisher", "edition", "published_on", "quote", "url", "comparability", "note")
CARD_BAR_HEIGHT_PX = 34
CARD_MIN_HEIGHT_PX = 360
CARD_LABEL_PX_PER_COL = 6.5  # 11 px label text
CARD_LABEL_MAX_PX = 220


def sources_table(con: duckdb.DuckDBPyConnection, series_id: str, lang: str) -> pd.DataFrame:
    """One row per later figure of the series: value as printed, kind, publisher, edition, page date, quote, URL."""
    s = market.series_def(series_id)
    rows = later.later_figures(con, metrics=[s.metric])
    rows = rows[rows["entity"] == s.entity]  # every period, also the half-year counts the chart cannot place
    out = []
    for r in rows.to_dict("records"):
        out.append(
            {
                "year": r["period"],
                "value": format_figure(r, r, lang),
                "kind": t(f"later.kind.{r['kind']}", lang),
                "publisher": r["publisher_zh"] if lang == "zh" else r["publisher_en"],
                "edition": later.date_text(r["edition"], lang),
                "published_on": later.date_text(r["published_on"], lang),
                "quote": r["quote"],
                "url": r["url"],
                "comparability": t(f"later.comparability.{r['comparability']}", lang),
                "note": (t("later.secondary", lang) + " " if r["secondary"] else "") + note_text(r["note"], lang),
            }
        )
    frame = pd.DataFrame(out, columns=list(SOURCE_COLUMNS))
    return frame.rename(columns={c: t(f"later.sources.col.{c}", lang) for c in SOURCE_COLUMNS})


def implied_caption(growth: later.ImpliedGrowth, lang: str) -> str:
    """What the implied CAGR rests on: the later figure and its source, "at least" for a lower bound, and the
    rate a re-based edition would give, which is not used."""
    row = growth.end_row

    def source(r) -> str:
        return f"{r['publisher_zh'] if lang == 'zh' else r['publisher_en']} · {later.date_text(r['edition'], lang)}"

    key = "later.implied.caption_bound" if growth.is_lower_bound else "later.implied.caption"
    text = t(key, lang, cagr=rate_text(growth.cagr_percent), base_year=growth.base_year, end_year=growth.end_year,
             later=row["quote"], source=source(row))  # fmt: skip
    if growth.rebased_cagr_percent is not None:
        text += t("later.implied.rebased", lang, source=source(growth.rebased_row), cagr=rate_text(growth.rebased_cagr_percent))
    return text


def slider_value(param: Param, cagr_percent: float) -> float:
    """The implied rate on the slider's grid and inside its range (the slider cannot hold 43.73)."""
    step = param.step or 1.0
    value = round(round(cagr_percent / step) * step, 10)
    return float(min(max(value, param.min_value or 0.0), param.max_value if param.max_value is not None else value))


def implied_button_label(growth: later.ImpliedGrowth, param: Param, lang: str) -> str:
    """The button that sets the slider to the implied rate. It names the rate as the caption does (rate_text);
    when the slider's step cannot hold it, the button says it sets the nearest step ("43.5%, the slider step
    nearest 43.7%"), so the caption and the button never show two numbers for one rate without saying why."""
    target, implied = rate_text(slider_value(param, growth.cagr_percent)), rate_text(growth.cagr_percent)
    if target == implied:
        return t("later.implied.button", lang, cagr=target)
    return t("later.implied.button_step", lang, cagr=target, implied=implied)


def _later_source_line(con, view: market.SeriesView, lang: str) -> str:
    return t(
        "later.source_line",
        lang,
        report=_source_line(con, view, lang),
        later=later.publisher_list(view.later.to_dict("records"), lang),
    )


def later_chart(series_id: str, slug: str):
    """The report's points and its CAGR path beside every later figure and forecast vintage of the series."""

    def build(con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object], lang: str) -> ChartSpec:
        view = market.series_view(con, series_id, {later.LAYER_PARAM: True})
        last = int(view.later["year"].max()) if not view.later.empty else None
        path = market.report_path(con, series_id, until=last)  # the card scores against this same path
        years = sorted(set(path.values.index) | (set(view.later["year"]) if not view.later.empty else set()))
        title = t(f"later.chart.{series_id}.title", lang)
        source_line = _source_line(con, view, lang)
        fig = go.Figure()
        within = _scaled(path.within_horizon, view, lang)
        fig.add_trace(go.Scatter(x=within.index, y=within, mode="lines", name=path_label(path, lang),
                                 legendrank=LEGEND_RANK["baseline"], line={"color": PALETTE["muted"], "width": 1.5, "dash": "dot"}))  # fmt: skip
        beyond = _scaled(path.values[path.values.index >= path.horizon], view, lang)
        if len(beyond) > 1:
            fig.add_trace(go.Scatter(x=beyond.index, y=beyond, mode="lines", name=t("later.line.path_extended", lang, horizon=path.horizon),
                                     legendrank=LEGEND_RANK["baseline"] + 0.1, line={"color": PALETTE["muted"], "width": 1, "dash": "dash"}))  # fmt: skip
        add_later_traces(fig, view, lang)
        fig.add_trace(
            go.Scatter(x=view.stated["year"], y=_scaled(view.stated["value"], view, lang), mode="markers",
                       name=series_label("report", series_id, lang), legendrank=LEGEND_RANK["report"],
                       marker={"symbol": "diamond", "size": 12, "color": PALETTE["ink"]})
        )  # fmt: skip
        fig.update_xaxes(title_text=t("chart.year", lang), dtick=1, range=[min(years) - HALF_YEAR, max(years) + HALF_YEAR])
        fig.update_yaxes(title_text=unit_label(view.unit, lang), rangemode="tozero")
        fig = apply_house_style(fig, title=title, source_line=source_line, lang=lang)
        fig.update_layout(height=560, margin={"t": 150}, legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"})
        verdict = scorecard.verdicts(con, scorecard.report_card(con), lang, brief=True).get(series_id, "")
        data = market.long_data(view, lang)
        codes = data[t("market.csv.line_code", lang)]
        data = data[codes.isin(["report", "derived", "later"])].reset_index(drop=True)
        return ChartSpec(slug=slug, title=title, takeaway=verdict, figure=fig, data=data, source_line=source_line,
                         native=_native(view, path, years, lang))  # fmt: skip

    return build


def path_label(path: market.ReportPath, lang: str) -> str:
    """The report path's legend name; for a supplementary series, named as its publisher's, never the report's."""
    if not path.supplementary:
        return t("later.line.path", lang)
    printed = path.anchors[path.anchors["kind"] != "derived"].iloc[0]
    return t("later.line.path_supplementary", lang, publisher=printed["producer_zh"] if lang == "zh" else printed["producer_en"])


def _native(view: market.SeriesView, path: market.ReportPath, years: list[int], lang: str) -> NativeChart:
    def values(series: pd.Series) -> tuple[float | None, ...]:
        scaled = _scaled(series, view, lang).reindex(years)
        return tuple(None if pd.isna(v) else float(v) for v in scaled)

    series = [
        NativeSeries(series_label("report", view.series.series_id, lang), values(view.stated.set_index("year")["value"])),
        NativeSeries(path_label(path, lang), values(path.values)),
    ]
    for vintage in view.vintages:
        rows = vintage.rows.drop_duplicates("year", keep="last").set_index("year")["value_series"]
        series.append(NativeSeries(later_label(vintage, lang), values(rows)))  # keeps "(definition changed)"
    return NativeChart("line", tuple(str(y) for y in years), tuple(series), y_title=unit_label(view.unit, lang))


def card_source_line(con: duckdb.DuckDBPyConnection, card: pd.DataFrame, lang: str) -> str:
    """Who printed what the card draws, each once: the sources of the report side (the report's, via QbitAI;
    IDC & Inspur's, supplementary) and the later figures' publishers (supplementary)."""
    source_ids: set[str] = set()
    for group in dict.fromkeys(card["group"]) if not card.empty else []:
        figures = market.series_figures(con, group)
        source_ids |= set(figures.loc[figures["kind"] != "derived", "source_id"])
    return t(
        "later.source_line",
        lang,
        report=data.source_line(con, sorted(source_ids), lang),
        later=later.publisher_list(card.to_dict("records"), lang),
    )


def card_chart(con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object], lang: str) -> ChartSpec:
    """The report card: the error in % of every scored pair as a bar; pairs of another definition are listed, not drawn."""
    card = scorecard.report_card(con)
    scored = card[card["error_percent"].notna()].reset_index(drop=True) if not card.empty else card
    labels = [
        f"{t(f'card.series.{r.group}', lang)}<br>{r.year} · {t(f'later.kind.{r.later_kind}', lang)} · {later.date_text(r.edition, lang)}"
        for r in scored.itertuples()
    ]
    # A fixed left margin sized to the labels (not automargin): the source line below is placed from the
    # figure's left edge by this margin, and automargin would move the plot without telling it.
    label_px = min(
        CARD_LABEL_MAX_PX,
        CARD_LABEL_PX_PER_COL * max((_display_width(line) for lb in labels for line in lb.split("<br>")), default=0),
    )
    colours = [PALETTE["secondary"] if v > 0 else PALETTE["primary"] for v in scored["error_percent"]]
    title = t("card.chart.title", lang)
    # A bound is drawn to the bound and labelled as one ("≥ +40.6%"): the later figure says at least this much.
    # Labels sit inside a bar long enough to hold them ("auto"): outside the longest bar they ran off a picture's edge.
    prefix = [{"lower": "≥ ", "upper": "≤ "}.get(b, "") if isinstance(b, str) else "" for b in scored["bound"]]
    texts = [f"{p}{v:+.1f}%" for p, v in zip(prefix, scored["error_percent"], strict=True)]
    fig = go.Figure(go.Bar(y=labels, x=scored["error_percent"].round(1), orientation="h", marker={"color": colours},
                           text=texts, textposition="auto", cliponaxis=False,
                           hovertemplate="%{y}: %{text}<extra></extra>"))  # fmt: skip
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text=t("card.chart.x", lang), zeroline=True, zerolinecolor=PALETTE["ink"])
    source_line = card_source_line(con, card, lang)
    fig = apply_house_style(fig, title=title, source_line=source_line, lang=lang)
    fig.update_layout(height=max(CARD_MIN_HEIGHT_PX, CARD_BAR_HEIGHT_PX * len(labels) + 200), margin={"l": label_px + 12})
    fig.update_yaxes(automargin=False)
    verdicts = scorecard.verdicts(con, card, lang, brief=True)
    breaks = int((~card["scored"].astype(bool)).sum()) if not card.empty else 0
    takeaway = " ".join(verdicts.values())
    return ChartSpec(
        slug="report-card",
        title=title,
        takeaway=takeaway,
        figure=fig,
        data=scorecard.report_card_data(con, card, lang),
        source_line=source_line,
        assumptions={t("card.chart.unscored", lang): str(breaks)},
        native=NativeChart(
            "bar",
            tuple(labels),
            (NativeSeries(t("card.chart.x", lang), tuple(float(v) for v in scored["error_percent"].round(1))),),
            y_title=t("card.chart.x", lang),
        ),  # fmt: skip
    )


CHARTS = (
    ChartDef("report-card", "scorecard", "card.chart.title", card_chart),
    ChartDef("later-ai-server-market", "scorecard", "later.chart.market.title", later_chart("market", "later-ai-server-market")),
    ChartDef(
        "later-ai-server-shipments",
        "scorecard",
        "later.chart.shipments.title",
        later_chart("shipments", "later-ai-server-shipments"),
    ),
    ChartDef(
        "later-cn-intelligent-compute", "scorecard", "later.chart.icc.title", later_chart("icc", "later-cn-intelligent-compute")
    ),
)
