"""Compute demand and cost: the report's training, fine-tuning and inference figures, re-derived.

The public API (names and signatures kept stable for pages, tests and scripts):

    training_gpu_days(pf_days, gpu="A100", utilization=1/3)        -> GPU-days
    gpus_for_days(pf_days, days, gpu="A100", utilization=1/3)      -> GPUs
    days_for_gpus(pf_days, gpus, gpu="A100", utilization=1/3)      -> days
    inference_monthly_cost(visits, interactions_per_visit=1.0, usd_per_interaction=0.01) -> USD a month

`gpu` is a name or id of the accelerator catalogue (datasets/accelerators.csv); every function that
needs it also takes `catalogue=` (a DataFrame of the same columns) for what-ifs. Bad input (negative,
zero, NaN, utilisation above 1, an unknown GPU, an unknown peak) raises `ComputeInputError`, a
`ValueError` whose `field` names the input to fix.

Units are in the names; conversion constants are named. Utilisation is a share of the chip's peak
dense FP16/BF16 Tensor throughput (1/3 reproduces the report's A100 counts).
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analysis import paths
from analysis.db import query
from analysis.scenario import Param

TERA = 1e12
PETA = 1e15
SECONDS_PER_DAY = 86_400
HOURS_PER_DAY = 24
PF_DAY_FLOP = PETA * SECONDS_PER_DAY  # 1 PF-day: 10^15 FLOP/s for one day = 8.64 × 10^19 FLOP
TRAINING_FLOP_PER_PARAM_TOKEN = 6  # forward + backward pass: C ≈ 6·N·D
INFERENCE_FLOP_PER_PARAM_TOKEN = 2  # forward pass only: 2·N FLOP per generated token
DAYS_PER_MONTH = 30  # the report's "month": 433 A100 × 30 days ≈ 13,000 A100-days
HOURS_PER_MONTH = DAYS_PER_MONTH * HOURS_PER_DAY
DEFAULT_UTILIZATION = 1 / 3  # the share of A100 peak that reproduces the report's A100 counts
SENSITIVITY_STEP = 0.20  # the tornado moves each input by ±20 %
PERCENT = 100.0

CATALOGUE_FILE = "accelerators.csv"
CATALOGUE_NUMBERS = ("peak_dense_fp16_tflops", "peak_sparse_fp16_tflops", "memory_gb")
CATALOGUE_REQUIRED = ("accelerator_id", "name_zh", "name_en", "peak_dense_fp16_tflops")

# Presets: the report's figure ids, read from the database (never typed in here).
PRESET_FIGURES = {
    "gpt3_small": "gpt3_small_training_compute",
    "gpt3_xl": "gpt3_xl_training_compute",
    "gpt3_175b": "gpt3_175b_training_compute",
    "finetune": "finetune_compute",
}
CUSTOM_PRESET = "custom"
CHIPS = (
    "a100",
    "a800",
    "h100_sxm",
    "h800",
    "v100",
    "ascend_910",
    "iluvatar_tiangai100",
    "iluvatar_zhikai",
    "moffett_s30",
    "kunlunxin",
    "hygon_dcu",
)
REFERENCE_CHIP = "a100"  # the report's claims are stated in A100s
PRICE_BASES = ("dgx_cloud", "custom")
OUTPUTS = ("gpu_days", "days_for_gpus", "training_cost", "inference_cost", "inference_gpus")


class ComputeInputError(ValueError):
    """A bad input. `field` names it (pf_days, days, gpus, utilization, gpu, catalogue, …); `code` and
    `values` let a page say the same thing in its own language (translation key compute.error.<code>)."""

    def __init__(self, field: str, message: str, code: str = "invalid", **values: object):
        super().__init__(message)
        self.field = field
        self.code = code
        self.values = {"field": field, "detail": message, **values}


ERROR_CODES = (
    "invalid",
    "not_number",
    "nan",
    "not_finite",
    "not_positive",
    "utilization_above_1",
    "unknown_gpu",
    "unknown_peak",
    "catalogue_missing",
    "catalogue_columns",
    "catalogue_cells",
)


# ---------------------------------------------------------------- scenario parameters

PARAMS = (
    Param(
        "cmp_preset",
        "gpt3_175b",
        kind="choice",
        choices=(*PRESET_FIGURES, CUSTOM_PRESET),
        label_key="compute.preset",
        help_key="compute.preset_help",
        page_id="compute",
    ),
    Param(
        "cmp_params_bn",
        175.0,
        min_value=0.1,
        max_value=2000,
        step=0.1,
        unit="B",
        label_key="compute.params_bn",
        help_key="compute.params_bn_help",
        page_id="compute",
    ),
    Param(
        "cmp_tokens_bn",
        300.0,
        min_value=1,
        max_value=20000,
        step=1,
        unit="B",
        label_key="compute.tokens_bn",
        help_key="compute.tokens_bn_help",
        page_id="compute",
    ),
    Param(
        "cmp_chip",
        REFERENCE_CHIP,
        kind="choice",
        choices=CHIPS,
        label_key="compute.chip",
        help_key="compute.chip_help",
        page_id="compute",
    ),
    Param(
        "cmp_util_pct",
        PERCENT * DEFAULT_UTILIZATION,
        min_value=5,
        max_value=100,
        step=1,
        unit="%",
        label_key="compute.util",
        help_key="compute.util_help",
        page_id="compute",
        decimals=1,
    ),
    Param(
        "cmp_days",
        30,
        kind="int",
        min_value=1,
        max_value=365,
        step=1,
        label_key="compute.days",
        help_key="compute.days_help",
        page_id="compute",
    ),
    Param(
        "cmp_gpus",
        1024,
        kind="int",
        min_value=8,
        max_value=50000,
        step=8,
        label_key="compute.gpus",
        help_key="compute.gpus_help",
        page_id="compute",
    ),
    Param(
        "cmp_price_basis",
        "dgx_cloud",
        kind="choice",
        choices=PRICE_BASES,
        label_key="compute.price_basis",
        help_key="compute.price_basis_help",
        page_id="compute",
    ),
    Param(
        "cmp_usd_gpu_hour",
        2.0,
        min_value=0.1,
        max_value=40,
        step=0.1,
        label_key="compute.usd_gpu_hour",
        help_key="compute.usd_gpu_hour_help",
        page_id="compute",
    ),
    Param(
        "cmp_visits_m",
        1100.0,
        min_value=10,
        max_value=20000,
        step=10,
        label_key="compute.visits_m",
        help_key="compute.visits_m_help",
        page_id="compute",
    ),
    Param(
        "cmp_interactions",
        1.0,
        min_value=0.1,
        max_value=20,
        step=0.1,
        label_key="compute.interactions",
        help_key="compute.interactions_help",
        page_id="compute",
    ),
    Param(
        "cmp_usd_interaction",
        0.01,
        min_value=0.001,
        max_value=0.1,
        step=0.001,
        label_key="compute.usd_interaction",
        help_key="compute.usd_interaction_help",
        page_id="compute",
    ),
    Param(
        "cmp_tokens_query",
        1000,
        kind="int",
        min_value=10,
        max_value=20000,
        step=10,
        label_key="compute.tokens_query",
        help_key="compute.tokens_query_help",
        page_id="compute",
    ),
    Param(
        "cmp_output",
        "training_cost",
        kind="choice",
        choices=OUTPUTS,
        label_key="compute.output",
        help_key="compute.output_help",
        page_id="compute",
    ),
)
# Which figure each default stands for (tests/test_compute.py checks they agree with the database).
PARAM_DEFAULT_FIGURES = {
    "cmp_params_bn": ("gpt3_175b_parameters", 1e9),
    "cmp_tokens_bn": ("gpt3_175b_training_tokens", 1e9),
    "cmp_gpus": ("gpt3_175b_a100_1_month", 1),
    "cmp_visits_m": ("chatgpt_visits_2023_02", 1e6),
    "cmp_interactions": ("chatgpt_interactions_per_visit", 1),
    "cmp_usd_interaction": ("chatgpt_cost_per_interaction", 1),
}


# ---------------------------------------------------------------- input checks


def _number(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ComputeInputError(field, f"{field} must be a number, got {value!r}", "not_number")
    number = float(value)
    if math.isnan(number):
        raise ComputeInputError(field, f"{field} is not a number (NaN)", "nan")
    if math.isinf(number):
        raise ComputeInputError(field, f"{field} must be finite, got {value!r}", "not_finite")
    return number


def _positive(field: str, value: object) -> float:
    number = _number(field, value)
    if number <= 0:
        raise ComputeInputError(field, f"{field} must be positive, got {value!r}", "not_positive")
    return number


def _utilization(value: object) -> float:
    share = _positive("utilization", value)
    if share > 1:
        raise ComputeInputError(
            "utilization",
            f"utilization is a share of peak between 0 and 1, got {value!r} (for 40 % pass 0.4)",
            "utilization_above_1",
        )
    return share


# ---------------------------------------------------------------- the accelerator catalogue


def load_catalogue(datasets_dir: Path | None = None) -> pd.DataFrame:
    """The catalogue as published in datasets/accelerators.csv, validated (numbers as floats, NaN = unknown)."""
    path = Path(datasets_dir or paths.datasets_dir()) / CATALOGUE_FILE
    if not path.exists():
        raise ComputeInputError("catalogue", f"no accelerator catalogue at {path}", "catalogue_missing")
    return _read_catalogue(str(path), path.stat().st_mtime_ns).copy()


@lru_cache(maxsize=4)
def _read_catalogue(path: str, _mtime_ns: int) -> pd.DataFrame:
    return validate_catalogue(pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8"))


def catalogue_from_db(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return validate_catalogue(query(con, "SELECT * FROM accelerators ORDER BY rowid"))


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, float) and math.isnan(value))


def validate_catalogue(frame: pd.DataFrame) -> pd.DataFrame:
    """A clean copy: spec columns as floats (NaN where unknown). Raises ComputeInputError naming every bad cell."""
    missing = [c for c in CATALOGUE_REQUIRED if c not in frame.columns]
    if missing:
        raise ComputeInputError(
            "catalogue", f"the catalogue lacks column(s): {', '.join(missing)}", "catalogue_columns", columns=", ".join(missing)
        )
    clean = frame.copy().reset_index(drop=True)
    for column in (c for c in clean.columns if c not in CATALOGUE_NUMBERS):  # text: blank is "", as in the CSV
        clean[column] = [("" if _blank(v) else str(v).strip()) for v in clean[column]]
    problems: list[str] = []
    cells: list[str] = []  # "a100 · peak_dense_fp16_tflops" for the page's message
    seen: dict[str, int] = {}
    for i, raw_id in enumerate(clean["accelerator_id"]):
        key = "" if _blank(raw_id) else _key(raw_id)
        if not key:
            problems.append(f"row {i + 1}: accelerator_id is empty")
            cells.append(f"{i + 1} · accelerator_id")
        elif key in seen:
            problems.append(f"row {i + 1}: accelerator_id {raw_id!r} repeats row {seen[key] + 1}")
            cells.append(f"{raw_id} · accelerator_id")
        else:
            seen[key] = i
    for column in (c for c in CATALOGUE_NUMBERS if c in clean.columns):
        values = []
        for i, raw in enumerate(clean[column]):
            number = _spec_number(raw)
            good = number is None or (math.isfinite(number) and number > 0)
            if not good:
                problems.append(
                    f"row {i + 1} ({clean['accelerator_id'][i]}): {column} must be a positive number or empty (unknown), got {raw!r}"
                )
                cells.append(f"{clean['accelerator_id'][i]} · {column}")
            values.append(number if good and number is not None else math.nan)
        clean[column] = pd.Series(values, dtype="float64")
    if problems:
        raise ComputeInputError("catalogue", "; ".join(problems), "catalogue_cells", cells="; ".join(cells))
    return clean


def _spec_number(raw: object) -> float | None:
    """None for an empty cell (unknown); NaN for text that is not a number (reported by the caller)."""
    if _blank(raw):
        return None
    if isinstance(raw, bool):
        return math.nan
    try:
        return float(str(raw).strip().replace(",", ""))
    except ValueError:
        return math.nan


def _key(name: object) -> str:
    # NFKC folds full-width brackets and digits (“（SXM5）”, “９１０”) into their plain forms.
    return re.sub(r"[\s\-_()·]+", "", unicodedata.normalize("NFKC", str(name)).strip().lower())


_BRACKETS = re.compile(r"\s*[(（]([^)）]*)[)）]\s*")


def _aliases(record: dict) -> set[str]:
    """The names people type for one catalogue row: id, full names, the model without vendor or brackets
    ("H100", "Ascend 910", "昇腾910"), and the model with any one bracketed detail ("A100 80GB", "H100 SXM5")."""
    aliases = {_key(record["accelerator_id"])}
    for name, vendor in ((record["name_en"], record["vendor_en"]), (record["name_zh"], record["vendor_zh"])):
        name = unicodedata.normalize("NFKC", str(name))
        details = [d.strip() for inner in _BRACKETS.findall(name) for d in re.split(r"[,，]", inner)]
        bare = _BRACKETS.sub(" ", name).strip()
        models = {bare}
        for prefix in (str(vendor), str(vendor).split(" ")[0], "NVIDIA", "英伟达"):
            if prefix and bare.lower().startswith(prefix.lower()):
                models.add(bare[len(prefix) :].strip())
        models.discard("")
        aliases |= {_key(name)} | {_key(m) for m in models}
        tokens = [t for d in details for t in [d, *re.findall(r"[A-Za-z]+\d+|\d+\s*GB", d)]]
        aliases |= {_key(f"{m} {t}") for m in models for t in tokens} | {_key(f"{m} {' '.join(details)}") for m in models}
    aliases.discard("")
    return aliases


def resolve_gpu(gpu: str, catalogue: pd.DataFrame | None = None) -> str:
    """The catalogue id for a name as people type it ("H100", "a100 80gb", "昇腾910", "h100_sxm").

    Case, spacing, hyphens and full-width characters are ignored. An unknown or ambiguous name raises
    ComputeInputError whose message lists the closest catalogue names.
    """
    table = load_catalogue() if catalogue is None else validate_catalogue(catalogue)
    if not isinstance(gpu, str) or not gpu.strip():
        raise ComputeInputError("gpu", f"gpu must be a catalogue name, got {gpu!r}", "unknown_gpu", name=str(gpu))
    wanted = _key(gpu)
    records = table.to_dict("records")
    alias_ids: dict[str, set[str]] = {}
    for record in records:
        for alias in _aliases(record):
            alias_ids.setdefault(alias, set()).add(record["accelerator_id"])
    found = alias_ids.get(wanted, set())
    if len(found) == 1:
        return next(iter(found))
    labels = {r["accelerator_id"]: f"{r['accelerator_id']} ({r['name_en']})" for r in records}
    if found:
        choices = ", ".join(labels[i] for i in sorted(found))
        raise ComputeInputError(
            "gpu", f"GPU {gpu!r} is ambiguous; it fits: {choices}", "unknown_gpu", name=str(gpu), suggestions=choices
        )
    close = difflib.get_close_matches(wanted, list(alias_ids), n=6, cutoff=0.6)
    close_ids = list(dict.fromkeys(i for alias in close for i in sorted(alias_ids[alias])))[:3]
    suggestions = ", ".join(labels[i] for i in close_ids)
    hint = f"did you mean: {suggestions}? " if suggestions else ""
    known = ", ".join(table["accelerator_id"])
    raise ComputeInputError(
        "gpu", f"unknown GPU {gpu!r}; {hint}the catalogue has: {known}", "unknown_gpu", name=str(gpu), suggestions=suggestions
    )


def accelerator(gpu: str, catalogue: pd.DataFrame | None = None) -> dict:
    """The catalogue row for `gpu`, named as people type it (see `resolve_gpu`)."""
    table = load_catalogue() if catalogue is None else validate_catalogue(catalogue)
    gpu_id = resolve_gpu(gpu, table)
    return next(r for r in table.to_dict("records") if r["accelerator_id"] == gpu_id)


def peak_tflops(gpu: str, catalogue: pd.DataFrame | None = None) -> float:
    """Peak dense FP16/BF16 Tensor TFLOPS of `gpu`; ComputeInputError if the catalogue does not know it."""
    record = accelerator(gpu, catalogue)
    peak = record["peak_dense_fp16_tflops"]
    if _blank(peak):
        message = f"the dense FP16 peak of {record['name_en']} is unknown; enter it in the catalogue to compute"
        raise ComputeInputError("gpu", message, "unknown_peak", name_zh=record["name_zh"], name_en=record["name_en"])
    return float(peak)


# ---------------------------------------------------------------- the formulas


def flop_to_pf_days(flop: float) -> float:
    return _positive("flop", flop) / PF_DAY_FLOP


def pf_days_to_flop(pf_days: float) -> float:
    return _positive("pf_days", pf_days) * PF_DAY_FLOP


def training_flop(params: float, tokens: float) -> float:
    """C = 6·N·D: training FLOP for N parameters seen on D tokens."""
    return TRAINING_FLOP_PER_PARAM_TOKEN * _positive("params", params) * _positive("tokens", tokens)


def gpu_days_at_peak(pf_days: float, peak_tflops_value: float, utilization: float) -> float:
    """GPU-days for `pf_days` on a chip of `peak_tflops_value` run at `utilization` of peak."""
    flop = pf_days_to_flop(pf_days)
    flop_per_gpu_day = _positive("peak_tflops", peak_tflops_value) * TERA * _utilization(utilization) * SECONDS_PER_DAY
    return flop / flop_per_gpu_day


def training_gpu_days(pf_days, gpu="A100", utilization=DEFAULT_UTILIZATION, *, catalogue: pd.DataFrame | None = None) -> float:
    """GPU-days to deliver `pf_days` PF-days on `gpu` at `utilization` (a share of peak, 0–1)."""
    _positive("pf_days", pf_days)
    _utilization(utilization)
    return gpu_days_at_peak(pf_days, peak_tflops(gpu, catalogue), utilization)


def gpus_for_days(pf_days, days, gpu="A100", utilization=DEFAULT_UTILIZATION, *, catalogue: pd.DataFrame | None = None) -> float:
    """GPUs needed to finish `pf_days` in `days` days (not rounded: GPUs × days = GPU-days)."""
    days = _positive("days", days)
    return training_gpu_days(pf_days, gpu, utilization, catalogue=catalogue) / days


def days_for_gpus(pf_days, gpus, gpu="A100", utilization=DEFAULT_UTILIZATION, *, catalogue: pd.DataFrame | None = None) -> float:
    """Days `gpus` GPUs need to finish `pf_days` PF-days."""
    gpus = _positive("gpus", gpus)
    return training_gpu_days(pf_days, gpu, utilization, catalogue=catalogue) / gpus


def inference_monthly_cost(visits, interactions_per_visit=1.0, usd_per_interaction=0.01) -> float:
    """USD a month: monthly visits × interactions per visit × cost per interaction (USD)."""
    return (
        _positive("visits", visits)
        * _positive("interactions_per_visit", interactions_per_visit)
        * _positive("usd_per_interaction", usd_per_interaction)
    )


def training_cost_usd(gpu_days: float, usd_per_gpu_hour: float) -> float:
    return _positive("gpu_days", gpu_days) * HOURS_PER_DAY * _positive("usd_per_gpu_hour", usd_per_gpu_hour)


def dgx_cloud_usd_per_gpu_hour(usd_per_node_month: float, gpus_per_node: float) -> float:
    """The GPU-hour price implied by a monthly node lease (a month of DAYS_PER_MONTH days)."""
    return _positive("usd_per_node_month", usd_per_node_month) / _positive("gpus_per_node", gpus_per_node) / HOURS_PER_MONTH


def dgx_cloud_nodes(gpus: float, gpus_per_node: float) -> int:
    return math.ceil(_positive("gpus", gpus) / _positive("gpus_per_node", gpus_per_node))


def dgx_cloud_lease_usd(gpus: float, days: float, usd_per_node_month: float, gpus_per_node: float) -> float:
    """Leasing whole nodes for `days` days, pro rata to a month of DAYS_PER_MONTH days."""
    nodes = dgx_cloud_nodes(gpus, gpus_per_node)
    return nodes * _positive("usd_per_node_month", usd_per_node_month) * _positive("days", days) / DAYS_PER_MONTH


def queries_per_second(visits_per_month: float, interactions_per_visit: float = 1.0) -> float:
    seconds = DAYS_PER_MONTH * SECONDS_PER_DAY
    return _positive("visits", visits_per_month) * _positive("interactions_per_visit", interactions_per_visit) / seconds


def serving_gpus_at_peak(
    qps: float, tokens_per_query: float, params: float, peak_tflops_value: float, utilization: float
) -> float:
    """GPUs to serve a load: QPS × tokens per query × 2·N FLOP per token ÷ (peak × utilisation)."""
    flop_per_s = _positive("queries_per_second", qps) * _positive("tokens_per_query", tokens_per_query)
    flop_per_s *= INFERENCE_FLOP_PER_PARAM_TOKEN * _positive("params", params)
    return flop_per_s / (_positive("peak_tflops", peak_tflops_value) * TERA * _utilization(utilization))


def inference_gpus(
    qps, tokens_per_query, params, gpu="A100", utilization=DEFAULT_UTILIZATION, *, catalogue: pd.DataFrame | None = None
) -> float:
    """GPUs of `gpu` needed to serve `qps` queries a second of `tokens_per_query` tokens on an N-parameter model."""
    return serving_gpus_at_peak(qps, tokens_per_query, params, peak_tflops(gpu, catalogue), utilization)


# ---------------------------------------------------------------- the report's inputs, from the database


@dataclass(frozen=True)
class ReportInputs:
    """Every report (or supplementary) figure the calculator starts from, in base units."""

    preset_pf_days: Mapping[str, float]
    dgx_usd_per_node_month: float
    dgx_gpus_per_node: float
    visits_per_month: float
    interactions_per_visit: float
    usd_per_interaction: float


def figure_values(con: duckdb.DuckDBPyConnection, figure_ids: list[str]) -> pd.DataFrame:
    """Figures with their value in the unit's base (value × to_dimension_base), indexed by figure_id."""
    frame = query(
        con,
        """SELECT f.figure_id, f.value, f.unit, f.qualifier, f.printed, f.note, f.source_id,
                  f.value * coalesce(u.to_dimension_base, 1) AS base_value
           FROM figures f JOIN units u ON u.unit_id = f.unit
           WHERE list_contains(?::VARCHAR[], f.figure_id)""",
        [list(figure_ids)],
    ).set_index("figure_id")
    missing = sorted(set(figure_ids) - set(frame.index))
    if missing:
        raise ValueError(f"figures missing from the database: {', '.join(missing)}")
    return frame


def report_inputs(con: duckdb.DuckDBPyConnection) -> ReportInputs:
    ids = [
        *PRESET_FIGURES.values(),
        "dgx_cloud_price_monthly",
        "dgx_cloud_gpus_per_node",
        "chatgpt_visits_2023_02",
        "chatgpt_interactions_per_visit",
        "chatgpt_cost_per_interaction",
    ]
    figures = figure_values(con, ids)
    return ReportInputs(
        preset_pf_days={preset: float(figures.at[fid, "value"]) for preset, fid in PRESET_FIGURES.items()},  # stored in PF-days
        dgx_usd_per_node_month=float(figures.at["dgx_cloud_price_monthly", "base_value"]),
        dgx_gpus_per_node=float(figures.at["dgx_cloud_gpus_per_node", "value"]),
        visits_per_month=float(figures.at["chatgpt_visits_2023_02", "base_value"]),
        interactions_per_visit=float(figures.at["chatgpt_interactions_per_visit", "value"]),
        usd_per_interaction=float(figures.at["chatgpt_cost_per_interaction", "base_value"]),
    )


# ---------------------------------------------------------------- a scenario, computed


@dataclass(frozen=True)
class Inputs:
    """Everything one calculation uses, in base units (a chip's peak resolved from the catalogue)."""

    pf_days: float
    chip: str
    peak_tflops: float
    utilization: float
    days: float
    gpus: float
    usd_per_gpu_hour: float
    visits_per_month: float
    interactions_per_visit: float
    usd_per_interaction: float
    tokens_per_query: float
    params: float


@dataclass(frozen=True)
class Result:
    inputs: Inputs
    flop: float
    gpu_days: float
    gpus_for_days: float
    days_for_gpus: float
    training_cost_usd: float
    dgx_nodes: int
    dgx_lease_usd: float
    inference_cost_usd: float
    queries_per_second: float
    inference_gpus: float
    inference_gpu_cost_usd: float


def pf_days_for(scenario: Mapping[str, object], report: ReportInputs) -> float:
    preset = scenario["cmp_preset"]
    if preset == CUSTOM_PRESET:
        return flop_to_pf_days(training_flop(float(scenario["cmp_params_bn"]) * 1e9, float(scenario["cmp_tokens_bn"]) * 1e9))
    return report.preset_pf_days[preset]


def usd_per_gpu_hour_for(scenario: Mapping[str, object], report: ReportInputs) -> float:
    if scenario["cmp_price_basis"] == "dgx_cloud":
        return dgx_cloud_usd_per_gpu_hour(report.dgx_usd_per_node_month, report.dgx_gpus_per_node)
    return float(scenario["cmp_usd_gpu_hour"])


def inputs_from_scenario(scenario: Mapping[str, object], report: ReportInputs, catalogue: pd.DataFrame) -> Inputs:
    chip = str(scenario["cmp_chip"])
    return Inputs(
        pf_days=pf_days_for(scenario, report),
        chip=chip,
        peak_tflops=peak_tflops(chip, catalogue),
        utilization=_utilization(float(scenario["cmp_util_pct"]) / PERCENT),
        days=float(scenario["cmp_days"]),
        gpus=float(scenario["cmp_gpus"]),
        usd_per_gpu_hour=usd_per_gpu_hour_for(scenario, report),
        visits_per_month=float(scenario["cmp_visits_m"]) * 1e6,
        interactions_per_visit=float(scenario["cmp_interactions"]),
        usd_per_interaction=float(scenario["cmp_usd_interaction"]),
        tokens_per_query=float(scenario["cmp_tokens_query"]),
        params=float(scenario["cmp_params_bn"]) * 1e9,
    )


def output_value(name: str, x: Inputs) -> float:
    """One of OUTPUTS for inputs `x` (the tornado re-evaluates this with one input moved)."""
    gpu_days = gpu_days_at_peak(x.pf_days, x.peak_tflops, x.utilization)
    if name == "gpu_days":
        return gpu_days
    if name == "days_for_gpus":
        return gpu_days / _positive("gpus", x.gpus)
    if name == "training_cost":
        return training_cost_usd(gpu_days, x.usd_per_gpu_hour)
    if name == "inference_cost":
        return inference_monthly_cost(x.visits_per_month, x.interactions_per_visit, x.usd_per_interaction)
    if name == "inference_gpus":
        qps = queries_per_second(x.visits_per_month, x.interactions_per_visit)
        return serving_gpus_at_peak(qps, x.tokens_per_query, x.params, x.peak_tflops, x.utilization)
    raise ComputeInputError("output", f"unknown output {name!r}; expected one of {', '.join(OUTPUTS)}")


def calculate(x: Inputs, report: ReportInputs) -> Result:
    gpu_days = output_value("gpu_days", x)
    qps = queries_per_second(x.visits_per_month, x.interactions_per_visit)
    serving = output_value("inference_gpus", x)
    return Result(
        inputs=x,
        flop=pf_days_to_flop(x.pf_days),
        gpu_days=gpu_days,
        gpus_for_days=gpu_days / _positive("days", x.days),
        days_for_gpus=output_value("days_for_gpus", x),
        training_cost_usd=training_cost_usd(gpu_days, x.usd_per_gpu_hour),
        dgx_nodes=dgx_cloud_nodes(x.gpus, report.dgx_gpus_per_node),
        dgx_lease_usd=dgx_cloud_lease_usd(x.gpus, gpu_days / x.gpus, report.dgx_usd_per_node_month, report.dgx_gpus_per_node),
        inference_cost_usd=output_value("inference_cost", x),
        queries_per_second=qps,
        inference_gpus=serving,
        inference_gpu_cost_usd=serving * HOURS_PER_MONTH * x.usd_per_gpu_hour,
    )


def compute_scenario(
    con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object], catalogue: pd.DataFrame | None = None
) -> Result:
    """The whole calculation for a scenario; `catalogue` overrides the published one for what-ifs."""
    table = catalogue_from_db(con) if catalogue is None else validate_catalogue(catalogue)
    report = report_inputs(con)
    return calculate(inputs_from_scenario(scenario, report, table), report)


# ---------------------------------------------------------------- sensitivity (tornado)

# The inputs each output depends on, in the order a reader thinks of them.
SENSITIVE_INPUTS: Mapping[str, tuple[str, ...]] = {
    "gpu_days": ("pf_days", "peak_tflops", "utilization"),
    "days_for_gpus": ("pf_days", "peak_tflops", "utilization", "gpus"),
    "training_cost": ("pf_days", "peak_tflops", "utilization", "usd_per_gpu_hour"),
    "inference_cost": ("visits_per_month", "interactions_per_visit", "usd_per_interaction"),
    "inference_gpus": ("visits_per_month", "interactions_per_visit", "tokens_per_query", "params", "peak_tflops", "utilization"),
}
_INPUT_NAMES = {f.name for f in fields(Inputs)}


def sensitivity(x: Inputs, output: str, step: float = SENSITIVITY_STEP) -> pd.DataFrame:
    """The output with each input moved by −step and +step (utilisation capped at 100 % of peak).

    Columns: input, value_low, value_high, output_low, output_high, change_low_pct, change_high_pct,
    capped; rows sorted by the size of the swing, largest first.
    """
    if output not in SENSITIVE_INPUTS:
        raise ComputeInputError("output", f"unknown output {output!r}; expected one of {', '.join(OUTPUTS)}")
    if not 0 < step < 1:
        raise ComputeInputError("step", f"step must be between 0 and 1, got {step!r}")
    base = output_value(output, x)
    rows = []
    for name in SENSITIVE_INPUTS[output]:
        value = getattr(x, name)
        low, high = value * (1 - step), value * (1 + step)
        capped = name == "utilization" and high > 1
        high = min(high, 1.0) if name == "utilization" else high
        out_low, out_high = (output_value(output, replace(x, **{name: v})) for v in (low, high))
        rows.append(
            {
                "input": name,
                "value_low": low,
                "value_high": high,
                "output_low": out_low,
                "output_high": out_high,
                "change_low_pct": (out_low / base - 1) * PERCENT,
                "change_high_pct": (out_high / base - 1) * PERCENT,
                "capped": capped,
            }
        )
    frame = pd.DataFrame(rows)
    swing = (frame["output_high"] - frame["output_low"]).abs()
    return (
        frame.assign(_swing=swing)
        .sort_values("_swing", ascending=False, kind="stable")
        .drop(columns="_swing")
        .reset_index(drop=True)
    )


# ---------------------------------------------------------------- the trade-off curve

DAY_GRID = (1, 2, 3, 5, 7, 10, 14, 21, 30, 45, 60, 90, 120, 180, 270, 365)


def tradeoff(x: Inputs, reference_peak_tflops: float, days_grid: tuple[int, ...] = DAY_GRID) -> pd.DataFrame:
    """GPUs needed against run length in days, for the chosen chip and the reference chip (A100)."""
    gpu_days = gpu_days_at_peak(x.pf_days, x.peak_tflops, x.utilization)
    reference_gpu_days = gpu_days_at_peak(x.pf_days, reference_peak_tflops, x.utilization)
    days = np.asarray(days_grid, dtype=float)
    return pd.DataFrame({"days": days, "gpus": gpu_days / days, "reference_gpus": reference_gpu_days / days})
