"""What the compute pages show: formatted results, formulas, the catalogue editor's table and the charts.

Pages call `calculator_view` and `audit_view` (one call each); the briefing pack builds the same charts
through `CHARTS`. Numbers are formatted with the unit templates of units.csv, so the calculator prints
money and counts the way the rest of the app does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import duckdb
import pandas as pd
import plotly.graph_objects as go

from analysis import compute as cm
from analysis import compute_audit
from analysis.charts import GAP_PX, PALETTE, TICK_COL_PX, Y_TITLE_LINE_PX, apply_house_style
from analysis.chartspec import ChartDef, ChartSpec, NativeChart, NativeSeries
from analysis.data import source_line, source_title
from analysis.db import query
from analysis.format import format_number
from analysis.i18n import localized, t
from analysis.notes import note_text

USD_PER_10K = 1e4  # money is printed in 万美元 (zh) / USD m (en) through the USD_10k unit
USD_PER_MILLION = 1e6  # below this, English prints whole dollars (USD 37,000, not USD 0.037 m)
EDITABLE_SPECS = ("peak_dense_fp16_tflops", "peak_sparse_fp16_tflops", "memory_gb")
DAY_TICKS = (1, 2, 5, 7, 14, 30, 60, 90, 180, 365)
Formatter = Callable[[float, str], str]


# ---------------------------------------------------------------- numbers as an analyst reads them


def rounded(value: float) -> float:
    """Whole numbers from 100 up, three significant figures below: 35,000 · 34.2 · 6.42 · 0.0100."""
    if value == 0 or not math.isfinite(value):
        return value
    if abs(value) >= 100:
        return float(round(value))
    digits = 2 - math.floor(math.log10(abs(value)))
    return round(value, digits)


def formatter(con: duckdb.DuckDBPyConnection, lang: str) -> Formatter:
    units = query(con, "SELECT * FROM units").set_index("unit_id")

    def fmt(value: float, unit: str) -> str:
        if unit == "USD" and abs(value) >= (USD_PER_10K if lang == "zh" else USD_PER_MILLION):
            return format_number(rounded(value / USD_PER_10K), units.loc["USD_10k"], lang)
        if unit == "PF_days" and abs(value) >= 10:  # keep the report's one decimal: 1,350.4 PF-days
            return format_number(round(value, 1), units.loc[unit], lang)
        return format_number(rounded(value), units.loc[unit], lang)

    return fmt


def scientific(value: float) -> str:
    """3.14 × 10²³"""
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"{mantissa} × 10{str(int(exponent)).translate(str.maketrans('-0123456789', '⁻⁰¹²³⁴⁵⁶⁷⁸⁹'))}"


def error_message(error: cm.ComputeInputError, lang: str) -> str:
    """The error in the page's language (compute.error.<code>), with the chip name in that language."""
    values = {**error.values, "name": error.values.get(f"name_{lang}", error.values.get("name", ""))}
    values.setdefault("cells", "")
    values.setdefault("columns", "")
    return t(f"compute.error.{error.code}", lang, **values)


# ---------------------------------------------------------------- the catalogue, for display and editing


def catalogue_table(catalogue: pd.DataFrame, con: duckdb.DuckDBPyConnection, lang: str) -> pd.DataFrame:
    """The catalogue with translated headers, "unknown" for empty specs and the source of each row."""
    unknown = t("compute.unknown", lang)
    sources = query(con, "SELECT source_id, producer_zh, producer_en, title, title_en, origin, report_section FROM sources")
    names = {r["source_id"]: _source_name(r, lang) for r in sources.to_dict("records")}

    def spec(value, digits: str = "g") -> str:
        return unknown if pd.isna(value) or value == "" else format(value, digits) if digits else str(value)

    records = catalogue.to_dict("records")
    return pd.DataFrame(
        {
            t("compute.col.chip", lang): [localized(r, "name", lang) for r in records],
            t("compute.col.peak_dense", lang): [spec(r["peak_dense_fp16_tflops"]) for r in records],
            t("compute.col.peak_sparse", lang): [spec(r["peak_sparse_fp16_tflops"]) for r in records],
            t("compute.col.memory_gb", lang): [spec(r["memory_gb"]) for r in records],
            t("compute.col.interconnect", lang): [spec(r["interconnect"], "") for r in records],
            t("compute.col.spec_source", lang): [names.get(r["spec_source_id"], "—") for r in records],
            t("compute.col.named_in", lang): [names.get(r["report_source_id"], "—") for r in records],
            t("column.note", lang): [note_text(r["note"], lang) for r in records],
        }
    )


def _source_name(row: Mapping, lang: str) -> str:
    producer = localized(row, "producer", lang)
    return f"{producer}「{row['report_section']}」" if row["origin"] == "report" else f"{producer}《{source_title(row, lang)}》"


def editor_frame(catalogue: pd.DataFrame, lang: str) -> pd.DataFrame:
    """What the page's data editor shows: id, name and the editable specs (translated headers)."""
    frame = catalogue[["accelerator_id", f"name_{lang}", *EDITABLE_SPECS]].copy()
    return frame.rename(columns=editor_headers(lang))


def editor_headers(lang: str) -> dict[str, str]:
    return {
        "accelerator_id": t("compute.col.id", lang),
        f"name_{lang}": t("compute.col.chip", lang),
        "peak_dense_fp16_tflops": t("compute.col.peak_dense", lang),
        "peak_sparse_fp16_tflops": t("compute.col.peak_sparse", lang),
        "memory_gb": t("compute.col.memory_gb", lang),
    }


def apply_edits(catalogue: pd.DataFrame, edited: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The catalogue with the editor's spec cells put back (matched by id), validated.

    Raises ComputeInputError (code catalogue_cells) naming every bad cell; the caller keeps its last good catalogue.
    """
    if edited.equals(editor_frame(catalogue, lang)):
        return catalogue  # nothing edited, as on almost every rerun: no cell to put back or check
    back = {v: k for k, v in editor_headers(lang).items()}
    edits = edited.rename(columns=back).set_index("accelerator_id")
    merged = catalogue.copy().astype({c: "object" for c in EDITABLE_SPECS})
    for i, chip in enumerate(merged["accelerator_id"]):
        if chip in edits.index:
            for column in EDITABLE_SPECS:
                merged.at[i, column] = edits.at[chip, column]
    return cm.validate_catalogue(merged)


# ---------------------------------------------------------------- the calculator page


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    help: str = ""


@dataclass(frozen=True)
class CalculatorView:
    lang: str
    result: cm.Result
    job: str  # "GPT-3 175B · 3,640 PF-days"
    job_source: str
    training: tuple[Card, ...]
    inference: tuple[Card, ...]
    formulas: tuple[str, ...]  # LaTeX
    conversions: tuple[str, ...]  # the scenario's numbers through the formulas, translated
    tradeoff: ChartSpec
    tornado: ChartSpec


def _chip_name(catalogue: pd.DataFrame, chip: str, lang: str) -> str:
    return catalogue.set_index("accelerator_id").loc[chip, f"name_{lang}"]


def job_label(scenario: Mapping[str, object], pf_days: float, fmt: Formatter, lang: str) -> str:
    return t("compute.job", lang, preset=t(f"compute.preset.{scenario['cmp_preset']}", lang), pf=fmt(pf_days, "PF_days"))


def calculator_view(
    con: duckdb.DuckDBPyConnection, *, scenario: Mapping[str, object], lang: str, catalogue: pd.DataFrame | None = None
) -> CalculatorView:
    table = cm.catalogue_from_db(con) if catalogue is None else cm.validate_catalogue(catalogue)
    result = cm.compute_scenario(con, scenario, table)
    x, fmt = result.inputs, formatter(con, lang)
    chip = _chip_name(table, x.chip, lang)
    util = f"{rounded(x.utilization * cm.PERCENT):g}%"
    training = (
        Card(
            t("compute.card.compute", lang),
            fmt(x.pf_days, "PF_days"),
            t("compute.card.compute_help", lang, flop=scientific(result.flop)),
        ),
        Card(
            t("compute.card.gpu_days", lang),
            fmt(result.gpu_days, "GPU_days"),
            t("compute.card.gpu_days_help", lang, chip=chip, util=util),
        ),
        Card(t("compute.card.gpus_for_days", lang, days=int(x.days)), fmt(result.gpus_for_days, "GPU_count")),
        Card(t("compute.card.days_for_gpus", lang, gpus=f"{int(x.gpus):,}"), fmt(result.days_for_gpus, "days")),
        Card(
            t("compute.card.cost", lang),
            fmt(result.training_cost_usd, "USD"),
            t("compute.card.cost_help", lang, price=fmt(x.usd_per_gpu_hour, "USD_per_GPU_hour")),
        ),
        Card(
            t("compute.card.dgx", lang, nodes=f"{result.dgx_nodes:,}"),
            fmt(result.dgx_lease_usd, "USD"),
            t("compute.dgx_note", lang),
        ),
    )
    inference = (
        Card(
            t("compute.card.inference_cost", lang),
            fmt(result.inference_cost_usd, "USD"),
            t("compute.card.inference_cost_help", lang),
        ),
        Card(t("compute.card.qps", lang), fmt(result.queries_per_second, "queries_per_s"), t("compute.card.qps_help", lang)),
        Card(
            t("compute.card.serving_gpus", lang),
            fmt(result.inference_gpus, "GPU_count"),
            t("compute.card.serving_gpus_help", lang, chip=chip),
        ),
        Card(
            t("compute.card.serving_cost", lang),
            fmt(result.inference_gpu_cost_usd, "USD"),
            t("compute.card.cost_help", lang, price=fmt(x.usd_per_gpu_hour, "USD_per_GPU_hour")),
        ),
    )
    figure_id = cm.PRESET_FIGURES.get(str(scenario["cmp_preset"]))
    job_source_ids = [cm.figure_values(con, [figure_id]).at[figure_id, "source_id"]] if figure_id else []
    return CalculatorView(
        lang=lang,
        result=result,
        job=job_label(scenario, x.pf_days, fmt, lang),
        job_source=" ".join(
            (
                t("compute.job_chip", lang, chip=chip, util=util),
                t("compute.job_source", lang, source=source_line(con, job_source_ids, lang))
                if job_source_ids
                else t("compute.job_custom", lang),
            )
        ),
        training=training,
        inference=inference,
        formulas=FORMULAS,
        conversions=conversions(result, fmt, lang),
        tradeoff=tradeoff_chart(con, scenario, lang, catalogue=table),
        tornado=tornado_chart(con, scenario, lang, catalogue=table),
    )


FORMULAS = (
    r"1\ \mathrm{PF\text{-}day} = 10^{15}\ \mathrm{FLOP/s} \times 86\,400\ \mathrm{s} = 8.64 \times 10^{19}\ \mathrm{FLOP}",
    r"C = 6\,N\,D \qquad G_{\mathrm{days}} = \frac{C}{P \cdot u \cdot 86\,400\ \mathrm{s}} \qquad \mathrm{GPUs} \times \mathrm{days} = G_{\mathrm{days}}",
    r"\mathrm{cost} = G_{\mathrm{days}} \times 24 \times p \qquad \mathrm{lease} = \left\lceil \mathrm{GPUs}/8 \right\rceil \times L \times \frac{\mathrm{days}}{30}",
    r"\mathrm{cost}_{\mathrm{month}} = V \times k \times c \qquad \mathrm{GPUs}_{\mathrm{serve}} = \frac{Q \times T \times 2N}{P \cdot u}, \quad Q = \frac{V \times k}{30 \times 86\,400\ \mathrm{s}}",
)


def conversions(result: cm.Result, fmt: Formatter, lang: str) -> tuple[str, ...]:
    x = result.inputs
    sustained = x.peak_tflops * x.utilization
    return (
        t("compute.conv.flop", lang, pf=fmt(x.pf_days, "PF_days"), flop=scientific(result.flop)),
        t(
            "compute.conv.per_gpu",
            lang,
            peak=f"{x.peak_tflops:g}",
            util=f"{rounded(x.utilization * cm.PERCENT):g}",
            sustained=f"{rounded(sustained):g}",
            per_day=scientific(sustained * cm.TERA * cm.SECONDS_PER_DAY),
        ),
        t(
            "compute.conv.gpu_days",
            lang,
            gpu_days=fmt(result.gpu_days, "GPU_days"),
            hours=f"{rounded(result.gpu_days * cm.HOURS_PER_DAY):,.0f}",
        ),
        t(
            "compute.conv.qps",
            lang,
            qps=fmt(result.queries_per_second, "queries_per_s"),
            flop=scientific(result.inference_gpus * sustained * cm.TERA),
        ),
    )


# ---------------------------------------------------------------- charts


def _spec_sources(table: pd.DataFrame, chips: list[str]) -> list[str]:
    rows = table.set_index("accelerator_id").loc[chips]
    return [s for s in rows["spec_source_id"].dropna() if s]


def log_axis_margin_px(fig: go.Figure) -> int:
    """Left margin that holds a log y-axis's widest tick label (its top decade, e.g. "10,000") and the axis
    title beside it: the house style's 60 px put the title over "10,000" (slide 11)."""
    top = max((max(v for v in tr.y if v is not None and v > 0) for tr in fig.data if tr.y is not None and len(tr.y)), default=1)
    label = f"{10 ** math.ceil(math.log10(top)):,}"
    return max(fig.layout.margin.l or 0, math.ceil(len(label) * TICK_COL_PX + Y_TITLE_LINE_PX + 3 * GAP_PX))


def tradeoff_chart(
    con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object], lang: str, *, catalogue: pd.DataFrame | None = None
) -> ChartSpec:
    """GPUs needed against run length (log–log), chosen chip and A100, with the report's claims marked."""
    table = cm.catalogue_from_db(con) if catalogue is None else cm.validate_catalogue(catalogue)
    report = cm.report_inputs(con)
    x = cm.inputs_from_scenario(scenario, report, table)
    curve = cm.tradeoff(x, cm.peak_tflops(cm.REFERENCE_CHIP, table))
    fmt = formatter(con, lang)
    chip, reference = _chip_name(table, x.chip, lang), _chip_name(table, cm.REFERENCE_CHIP, lang)
    util = f"{rounded(x.utilization * cm.PERCENT):g}%"
    chip_series = t("compute.chart.tradeoff.series", lang, chip=chip, util=util)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=curve["days"], y=curve["gpus"], name=chip_series, mode="lines", line={"color": PALETTE["primary"], "width": 3}
        )
    )
    show_reference = x.chip != cm.REFERENCE_CHIP
    reference_series = t("compute.chart.tradeoff.reference", lang, chip=reference, util=util)
    if show_reference:
        fig.add_trace(
            go.Scatter(
                x=curve["days"],
                y=curve["reference_gpus"],
                name=reference_series,
                mode="lines",
                line={"color": PALETTE["muted"], "dash": "dot"},
            )
        )
    claims = _claim_points(con, scenario)
    if not claims.empty:
        fig.add_trace(
            go.Scatter(
                x=claims["days"],
                y=claims["gpus"],
                name=t("compute.chart.tradeoff.claims", lang),
                mode="markers",
                marker={"color": PALETTE["secondary"], "size": 11, "symbol": "diamond"},
                hovertemplate="%{y:,.0f} A100 · %{x} d<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[x.days],
            y=[cm.gpu_days_at_peak(x.pf_days, x.peak_tflops, x.utilization) / x.days],
            name=t("compute.chart.tradeoff.choice", lang, days=int(x.days)),
            mode="markers",
            marker={"color": PALETTE["tertiary"], "size": 12},
        )
    )
    fig.update_xaxes(type="log", title_text=t("compute.chart.tradeoff.x", lang), tickvals=DAY_TICKS)
    fig.update_yaxes(type="log", title_text=t("compute.chart.tradeoff.y", lang), dtick=1, tickformat=",")  # one tick a decade
    job = job_label(scenario, x.pf_days, fmt, lang)
    title = t("compute.chart.tradeoff.title", lang, job=job)
    figure_id = cm.PRESET_FIGURES.get(str(scenario["cmp_preset"]))
    ids = sorted({*_spec_sources(table, [x.chip, cm.REFERENCE_CHIP]), *(["qb_chip_compute"] if figure_id else [])})
    sources = source_line(con, ids, lang)
    apply_house_style(fig, title=title, source_line=sources, lang=lang)
    fig.update_layout(margin_l=log_axis_margin_px(fig))
    days_header, chip_header, reference_header = t("compute.chart.tradeoff.x", lang), chip_series, reference_series
    data = pd.DataFrame({days_header: curve["days"].astype(int), chip_header: curve["gpus"].round(1)})
    if show_reference:
        data[reference_header] = curve["reference_gpus"].round(1)
    month = curve.loc[curve["days"] == cm.DAYS_PER_MONTH, "gpus"].iloc[0]
    day = curve.loc[curve["days"] == 1, "gpus"].iloc[0]
    return ChartSpec(
        slug="compute-tradeoff",
        title=title,
        takeaway=t(
            "compute.chart.tradeoff.takeaway",
            lang,
            chip=chip,
            util=util,
            month=fmt(month, "GPU_count"),
            day=fmt(day, "GPU_count"),
        ),
        figure=fig,
        data=data,
        source_line=sources,
        assumptions={t("compute.util", lang): util, t("compute.chip", lang): chip},
        # Run lengths from 1 to 365 days need a numeric log axis; a PowerPoint line chart has only categories,
        # which would space 1, 2, 3, 5 … 365 evenly. The deck takes the picture with its log–log axes.
        native=None,
    )


def _claim_points(con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object]) -> pd.DataFrame:
    """The report's "N A100 for 1 day / for a month" points of the chosen preset (a month = 30 days)."""
    preset = str(scenario["cmp_preset"])
    ids = {
        "gpt3_175b": ("gpt3_175b_a100_1_day", "gpt3_175b_a100_1_month"),
        "finetune": ("finetune_a100_1_day", "finetune_a100_1_month"),
    }
    if preset not in ids:
        return pd.DataFrame(columns=["days", "gpus"])
    day_id, month_id = ids[preset]
    values = cm.figure_values(con, [day_id, month_id])
    return pd.DataFrame({"days": [1, cm.DAYS_PER_MONTH], "gpus": [values.at[day_id, "value"], values.at[month_id, "value"]]})


def tornado_chart(
    con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object], lang: str, *, catalogue: pd.DataFrame | None = None
) -> ChartSpec:
    """How far the chosen output moves when each input moves by ±20 %."""
    table = cm.catalogue_from_db(con) if catalogue is None else cm.validate_catalogue(catalogue)
    report = cm.report_inputs(con)
    x = cm.inputs_from_scenario(scenario, report, table)
    output = str(scenario["cmp_output"])
    frame = cm.sensitivity(x, output).iloc[::-1]  # largest swing on top of a horizontal bar chart
    labels = [t(f"compute.input.{name}", lang) for name in frame["input"]]
    step = f"{cm.SENSITIVITY_STEP * cm.PERCENT:g}%"
    low_name, high_name = t("compute.chart.tornado.low", lang, step=step), t("compute.chart.tornado.high", lang, step=step)
    fig = go.Figure()
    fig.add_trace(go.Bar(y=labels, x=frame["change_low_pct"], name=low_name, orientation="h", marker_color=PALETTE["primary"]))
    fig.add_trace(
        go.Bar(y=labels, x=frame["change_high_pct"], name=high_name, orientation="h", marker_color=PALETTE["secondary"])
    )
    fig.update_layout(barmode="overlay", bargap=0.35)
    fig.update_xaxes(title_text=t("compute.chart.tornado.x", lang), ticksuffix="%", zeroline=True, zerolinecolor=PALETTE["ink"])
    output_name = t(f"compute.output.{output}", lang)
    title = t("compute.chart.tornado.title", lang, output=output_name, step=step)
    ids = sorted({*_spec_sources(table, [x.chip]), "qb_chip_compute"})
    sources = source_line(con, ids, lang)
    apply_house_style(fig, title=title, source_line=sources, lang=lang)
    fig.update_layout(margin={"l": 200})
    top = frame.iloc[-1]
    data = pd.DataFrame(
        {
            t("compute.chart.tornado.input", lang): labels,
            low_name: frame["change_low_pct"].round(2),
            high_name: frame["change_high_pct"].round(2),
        }
    ).iloc[::-1]
    return ChartSpec(
        slug="compute-tornado",
        title=title,
        takeaway=t(
            "compute.chart.tornado.takeaway",
            lang,
            input=t(f"compute.input.{top['input']}", lang),
            output=output_name,
            low=f"{top['change_low_pct']:+.1f}%",
            high=f"{top['change_high_pct']:+.1f}%",
            step=step,
        ),
        figure=fig,
        data=data.reset_index(drop=True),
        source_line=sources,
        assumptions={t("compute.output", lang): output_name},
        native=NativeChart(
            kind="bar",
            categories=tuple(labels),
            series=(
                NativeSeries(low_name, tuple(float(v) for v in frame["change_low_pct"])),
                NativeSeries(high_name, tuple(float(v) for v in frame["change_high_pct"])),
            ),
            y_title=t("compute.chart.tornado.x", lang),
            number_format='0.0"%"',
        ),
    )


# ---------------------------------------------------------------- the audit page


@dataclass(frozen=True)
class AuditView:
    lang: str
    table: pd.DataFrame  # translated, one row per claim
    gaps: ChartSpec
    catalogue: pd.DataFrame  # translated catalogue with "unknown" and sources


MARKDOWN_SPECIALS = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>~|#"})


def escape_markdown(text: object) -> object:
    """st.table renders Markdown: keep '>1200万美元' and '~1100万美元/月' as printed."""
    return text.translate(MARKDOWN_SPECIALS) if isinstance(text, str) else text


def audit_rows(
    con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object], lang: str, catalogue: pd.DataFrame | None = None
) -> pd.DataFrame:
    frame = compute_audit.audit(con, scenario, catalogue)
    fmt = formatter(con, lang)
    sources = query(
        con, "SELECT source_id, producer_zh, producer_en, title, title_en, origin, report_section FROM sources"
    ).set_index("source_id")
    records = frame.to_dict("records")
    return pd.DataFrame(
        {
            t("compute.audit.col.claim", lang): [t(f"compute.audit.claim.{r['row_id']}", lang) for r in records],
            t("column.printed", lang): [r["printed"] for r in records],
            t("compute.audit.col.report", lang): [fmt(r["claim"], r["unit"]) for r in records],
            t("compute.audit.col.calculator", lang): [
                "—" if pd.isna(r["value"]) else fmt(r["value"], r["unit"]) for r in records
            ],
            t("compute.audit.col.gap", lang): [
                "—" if pd.isna(r["gap_pct"]) else f"{round(r['gap_pct'], 1) + 0.0:+.1f}%" for r in records
            ],
            t("compute.audit.col.close", lang): [compute_audit.close_text(r, lang) for r in records],
            t("column.source", lang): [_source_name({**sources.loc[r["source_id"]].to_dict()}, lang) for r in records],
        }
    )


def audit_gap_chart(
    con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object], lang: str, *, catalogue: pd.DataFrame | None = None
) -> ChartSpec:
    """Gap between the calculator and each claim, in percent of the claim."""
    frame = compute_audit.audit(con, scenario, catalogue).dropna(subset=["gap_pct"]).iloc[::-1]
    labels = [t(f"compute.audit.claim.{r}", lang) for r in frame["row_id"]]
    colours = [PALETTE["secondary"] if g > 0 else PALETTE["primary"] for g in frame["gap_pct"]]
    fig = go.Figure(
        go.Bar(
            y=labels,
            x=frame["gap_pct"],
            orientation="h",
            marker_color=colours,
            text=[f"{round(g, 1) + 0.0:+.1f}%" for g in frame["gap_pct"]],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{x:+.1f}%<extra></extra>",
        )
    )
    low, high = min(frame["gap_pct"].min(), 0), max(frame["gap_pct"].max(), 0)
    padding = max(high - low, 10) * 0.15  # room for the labels outside the bars
    fig.update_xaxes(
        title_text=t("compute.chart.gaps.x", lang),
        ticksuffix="%",
        zeroline=True,
        zerolinecolor=PALETTE["ink"],
        range=[low - padding, high + padding],
    )
    title = t("compute.chart.gaps.title", lang)
    sources = source_line(con, sorted(set(frame["source_id"])), lang)
    apply_house_style(fig, title=title, source_line=sources, lang=lang)
    fig.update_layout(margin={"l": 260, "r": 60, "b": 150}, showlegend=False, height=600)
    worst = frame.loc[frame["gap_pct"].abs().idxmax()]
    header = t("compute.audit.col.gap", lang)
    return ChartSpec(
        slug="compute-audit-gaps",
        title=title,
        takeaway=t(
            "compute.chart.gaps.takeaway",
            lang,
            claim=t(f"compute.audit.claim.{worst['row_id']}", lang),
            gap=f"{worst['gap_pct']:+.0f}%",
            within=int((frame["gap_pct"].abs() <= 3).sum()),
            total=len(frame),
        ),
        figure=fig,
        data=pd.DataFrame({t("compute.audit.col.claim", lang): labels, header: frame["gap_pct"].round(1).to_list()})
        .iloc[::-1]
        .reset_index(drop=True),
        source_line=sources,
        native=NativeChart(
            kind="bar",
            categories=tuple(labels),
            series=(NativeSeries(header, tuple(float(v) for v in frame["gap_pct"])),),
            y_title=t("compute.chart.gaps.x", lang),
            number_format='0.0"%"',
        ),
    )


def audit_view(
    con: duckdb.DuckDBPyConnection, *, scenario: Mapping[str, object], lang: str, catalogue: pd.DataFrame | None = None
) -> AuditView:
    table = cm.catalogue_from_db(con) if catalogue is None else cm.validate_catalogue(catalogue)
    return AuditView(
        lang=lang,
        table=audit_rows(con, scenario, lang, table).map(escape_markdown),  # shown with st.table (Markdown)
        gaps=audit_gap_chart(con, scenario, lang, catalogue=table),
        catalogue=catalogue_table(table, con, lang),
    )


def _registered(builder: Callable[..., ChartSpec]) -> Callable[[duckdb.DuckDBPyConnection, Mapping[str, object], str], ChartSpec]:
    def build(con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object], lang: str) -> ChartSpec:
        return builder(con, scenario, lang)

    return build


CHARTS = (
    ChartDef("compute-tradeoff", "compute", "compute.chart.tradeoff.name", _registered(tradeoff_chart)),
    ChartDef("compute-tornado", "compute", "compute.chart.tornado.name", _registered(tornado_chart)),
    ChartDef("compute-audit-gaps", "compute_audit", "compute.chart.gaps.title", _registered(audit_gap_chart)),
)
