"""Audit: every compute or cost claim of the report beside what the calculator computes from its inputs.

Each row names the report's figure, the calculator's value in the same unit, the gap in percent and the
single assumption that would close it (solved from the formulas, never typed in). The calculator's
value uses the scenario's assumptions (utilisation, price, tokens per query), on the A100 the claims are
stated in; with the defaults the report's own numbers come back.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import duckdb
import pandas as pd

from analysis import compute as cm
from analysis.i18n import t

_CHATGPT_COST = "chatgpt_operating_compute_cost"


@dataclass(frozen=True)
class Check:
    """What the calculator says about one claim: value, unit, and the assumption that closes the gap."""

    value: float | None
    unit: str  # a units.csv id, for formatting
    close_key: str  # translation key of the closing assumption
    close_values: Mapping[str, float]
    basis_key: str = ""  # translation key of a caveat shown beside the row


@dataclass(frozen=True)
class Context:
    """The inputs every check may use (A100 peak, scenario utilisation, price, report inputs)."""

    figures: pd.DataFrame  # figure_values(), indexed by figure_id
    a100_peak_tflops: float
    a100_memory_gb: float
    inputs: cm.Inputs
    report: cm.ReportInputs

    def value(self, figure_id: str) -> float:
        return float(self.figures.at[figure_id, "value"])

    def base(self, figure_id: str) -> float:
        return float(self.figures.at[figure_id, "base_value"])

    def a100_gpu_days(self, pf_days: float) -> float:
        return cm.gpu_days_at_peak(pf_days, self.a100_peak_tflops, self.inputs.utilization)

    @property
    def utilization_pct(self) -> float:
        return self.inputs.utilization * cm.PERCENT

    def serving_a100s(self) -> float:
        qps = cm.queries_per_second(self.inputs.visits_per_month, self.inputs.interactions_per_visit)
        return cm.serving_gpus_at_peak(
            qps, self.inputs.tokens_per_query, self.inputs.params, self.a100_peak_tflops, self.inputs.utilization
        )


def _gpus_in_days(pf_figure: str, days: float) -> Callable[[Context, float], Check]:
    def check(ctx: Context, claim: float) -> Check:
        gpus = ctx.a100_gpu_days(ctx.value(pf_figure)) / days
        needed_util = ctx.utilization_pct * gpus / claim
        month_days = ctx.a100_gpu_days(ctx.value(pf_figure)) / claim
        key = "compute.audit.close_util_or_days" if days > 1 else "compute.audit.close_util"
        return Check(gpus, "GPU_count", key, {"util": needed_util, "days": month_days})

    return check


def _training_cost(ctx: Context, claim_usd: float) -> Check:
    hours = ctx.a100_gpu_days(ctx.value("gpt3_175b_training_compute")) * cm.HOURS_PER_DAY
    return Check(hours * ctx.inputs.usd_per_gpu_hour, "USD", "compute.audit.close_price_at_least", {"price": claim_usd / hours})


def _finetune_cost(ctx: Context, claim: float) -> Check:
    gpus = ctx.a100_gpu_days(ctx.value("finetune_compute")) / cm.DAYS_PER_MONTH
    monthly = gpus * cm.HOURS_PER_MONTH * ctx.inputs.usd_per_gpu_hour
    price = claim / (gpus * cm.HOURS_PER_MONTH)
    return Check(monthly, "USD", "compute.audit.close_price_if_usd", {"price": price}, "compute.audit.basis_currency")


def _chatgpt_simple(ctx: Context, claim: float) -> Check:
    x = ctx.inputs
    value = cm.inference_monthly_cost(x.visits_per_month, x.interactions_per_visit, x.usd_per_interaction)
    return Check(
        value, "USD", "compute.audit.close_interaction", {"usd": claim / (x.visits_per_month * x.interactions_per_visit)}
    )


def _chatgpt_first_principles(ctx: Context, claim: float) -> Check:
    value = ctx.serving_a100s() * cm.HOURS_PER_MONTH * ctx.inputs.usd_per_gpu_hour
    tokens = ctx.inputs.tokens_per_query * claim / value
    return Check(value, "USD", "compute.audit.close_tokens", {"tokens": tokens}, "compute.audit.basis_first_principles")


def _azure_cluster(ctx: Context, claim: float) -> Check:
    serving = ctx.serving_a100s()
    return Check(
        serving,
        "GPU_count",
        "compute.audit.close_tokens",
        {"tokens": ctx.inputs.tokens_per_query * claim / serving},
        "compute.audit.basis_cluster",
    )


def _threshold(ctx: Context, claim: float) -> Check:
    gpt3 = ctx.a100_gpu_days(ctx.value("gpt3_175b_training_compute"))
    return Check(
        None, "GPU_count", "compute.audit.close_threshold", {"days": gpt3 / claim, "runs": claim * cm.DAYS_PER_MONTH / gpt3}
    )


def _dgx_price(ctx: Context, claim_usd: float) -> Check:
    gpus = ctx.report.dgx_gpus_per_node
    value = ctx.inputs.usd_per_gpu_hour * gpus * cm.HOURS_PER_MONTH
    return Check(
        value, "USD", "compute.audit.close_dgx", {"price": claim_usd / gpus / cm.HOURS_PER_MONTH}, "compute.audit.basis_dgx_node"
    )


def _dgx_memory(ctx: Context, claim_gb: float) -> Check:
    gpus = ctx.report.dgx_gpus_per_node
    return Check(
        gpus * ctx.a100_memory_gb, "GB", "compute.audit.close_memory", {"memory": claim_gb / gpus}, "compute.audit.basis_memory"
    )


def _six_nd(params_figure: str, tokens_figure: str) -> Callable[[Context, float], Check]:
    def check(ctx: Context, claim: float) -> Check:
        params, tokens = ctx.base(params_figure), ctx.base(tokens_figure)
        value = cm.flop_to_pf_days(cm.training_flop(params, tokens))
        return Check(
            value,
            "PF_days",
            "compute.audit.close_tokens_6nd",
            {"tokens_bn": tokens * claim / value / 1e9},
            "compute.audit.basis_6nd",
        )

    return check


# (row id, the report's figure, how to compare, the figures the check also reads)
AUDIT_ROWS: tuple[tuple[str, str, Callable[[Context, float], Check], tuple[str, ...]], ...] = (
    ("gpt3_1_day", "gpt3_175b_a100_1_day", _gpus_in_days("gpt3_175b_training_compute", 1), ("gpt3_175b_training_compute",)),
    ("gpt3_1_month", "gpt3_175b_a100_1_month", _gpus_in_days("gpt3_175b_training_compute", cm.DAYS_PER_MONTH), ()),
    ("finetune_1_day", "finetune_a100_1_day", _gpus_in_days("finetune_compute", 1), ("finetune_compute",)),
    ("finetune_1_month", "finetune_a100_1_month", _gpus_in_days("finetune_compute", cm.DAYS_PER_MONTH), ()),
    ("gpt3_cost", "gpt3_175b_training_cost", _training_cost, ()),
    ("finetune_cost", "finetune_cost_monthly", _finetune_cost, ()),
    ("chatgpt_cost", _CHATGPT_COST, _chatgpt_simple, ("chatgpt_visits_2023_02", "chatgpt_cost_per_interaction")),
    ("chatgpt_cost_fp", _CHATGPT_COST, _chatgpt_first_principles, ()),
    ("azure_cluster", "azure_openai_a100_cluster", _azure_cluster, ()),
    ("a100_threshold", "a100_threshold_large_model", _threshold, ()),
    ("dgx_price", "dgx_cloud_price_monthly", _dgx_price, ("dgx_cloud_gpus_per_node",)),
    ("dgx_memory", "dgx_cloud_memory_per_node", _dgx_memory, ()),
    ("six_nd_small", "gpt3_small_training_compute", _six_nd("gpt3_small_parameters", "gpt3_small_training_tokens"), ()),
    ("six_nd_xl", "gpt3_xl_training_compute", _six_nd("gpt3_xl_parameters", "gpt3_xl_training_tokens"), ()),
    ("six_nd_175b", "gpt3_175b_training_compute", _six_nd("gpt3_175b_parameters", "gpt3_175b_training_tokens"), ()),
)
# Figures a check reads besides its own claim (their sources join the audit's source line).
SUPPORTING_FIGURES = (
    "gpt3_small_parameters",
    "gpt3_small_training_tokens",
    "gpt3_xl_parameters",
    "gpt3_xl_training_tokens",
    "gpt3_175b_parameters",
    "gpt3_175b_training_tokens",
)


def audit_figure_ids() -> list[str]:
    ids = {fid for _, fid, _, extra in AUDIT_ROWS for fid in (fid, *extra)} | set(SUPPORTING_FIGURES)
    return sorted(ids | {"gpt3_175b_training_compute", "finetune_compute"})


def audit(con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object], catalogue: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per claim: row_id, figure_id, claim (base unit), value, unit, gap_pct, close_key, close_values,
    basis_key, printed, qualifier, source_id. The gap is (calculator − report) / report, in percent."""
    table = cm.catalogue_from_db(con) if catalogue is None else cm.validate_catalogue(catalogue)
    report = cm.report_inputs(con)
    inputs = cm.inputs_from_scenario({**scenario, "cmp_chip": cm.REFERENCE_CHIP}, report, table)
    figures = cm.figure_values(con, audit_figure_ids())
    a100 = cm.accelerator(cm.REFERENCE_CHIP, table)
    ctx = Context(figures, cm.peak_tflops(cm.REFERENCE_CHIP, table), float(a100["memory_gb"]), inputs, report)
    rows = []
    for row_id, figure_id, check_claim, _ in AUDIT_ROWS:
        figure = figures.loc[figure_id]
        claim = float(figure["value"] if figure["unit"] in ("PF_days", "GPU_count", "GB") else figure["base_value"])
        check = check_claim(ctx, claim)
        gap = math.nan if check.value is None else (check.value / claim - 1) * cm.PERCENT
        rows.append(
            {
                "row_id": row_id,
                "figure_id": figure_id,
                "claim": claim,
                "value": check.value,
                "unit": check.unit,
                "gap_pct": gap,
                "close_key": check.close_key,
                "close_values": dict(check.close_values),
                "basis_key": check.basis_key,
                "printed": figure["printed"],
                "qualifier": figure["qualifier"],
                "source_id": figure["source_id"],
            }
        )
    return pd.DataFrame(rows)


def close_text(row: Mapping, lang: str) -> str:
    values = {k: _short(v) for k, v in row["close_values"].items()}
    text = t(row["close_key"], lang, **values)
    if not row["basis_key"]:
        return text
    return f"{text}{'' if lang == 'zh' else ' '}{t(row['basis_key'], lang)}"


def _short(value: float) -> str:
    """Three significant figures, thousands separated, no trailing zeros: 38, 14.3, 1,665, 0.01."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    digits = max(0, 2 - math.floor(math.log10(abs(value))))
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
