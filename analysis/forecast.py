"""Growth arithmetic for published forecasts: project, imply a base or a CAGR, simulate growth paths.

Plain numbers in, numbers out; every function raises ValueError with a precise message on bad input.
Rates are in percent (19 means 19 % a year), spreads in percentage points, years as integers.

    project(317.9, 19, -4)                      -> 158.53  (the 2021 base behind IDC's 2025 figure)
    previous_from_growth(120, 38.4)             -> 86.71   (2022 shipments behind TrendForce's +38.4 %)
    implied_cagr_percent(155.2, 1271.4, 5)      -> 52.3    (IDC's intelligent compute, 2021–2026)
    GrowthScenario(2025, 317.9, 19, spread_pp=5).simulate(2030).percentiles()

`DERIVATIONS` lists every figure of kind `derived` that the market pages store in datasets/figures.csv,
with the formula written in the row's note; tests recompute each one from the rows it names.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

PERCENT = 100.0
MC_PATHS = 2000  # enough for stable 10/50/90 percentiles (they move < 0.5 % between seeds)
MC_SEED = 20230  # fixed: the same scenario always draws the same fan
FAN_PERCENTILES = (10, 50, 90)


# ---------------------------------------------------------------- checks


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return number


def _positive(name: str, value: object) -> float:
    number = _number(name, value)
    if number <= 0:
        raise ValueError(f"{name} must be greater than 0, got {value!r}")
    return number


def _rate(name: str, value: object) -> float:
    number = _number(name, value)
    if number <= -PERCENT:
        raise ValueError(f"{name} must be above -100 (percent), got {value!r}")
    return number


def _year(name: str, value: object) -> int:
    number = _number(name, value)
    if number != int(number):
        raise ValueError(f"{name} must be a whole year, got {value!r}")
    return int(number)


# ---------------------------------------------------------------- growth arithmetic


def growth_factor(cagr_percent: float, years: float) -> float:
    """(1 + g)^years for a rate in percent; `years` may be negative (looking back)."""
    return (1 + _rate("cagr_percent", cagr_percent) / PERCENT) ** _number("years", years)


def project(value: float, cagr_percent: float, years: float) -> float:
    """`value` grown for `years` at `cagr_percent` a year (negative years look back)."""
    return _positive("value", value) * growth_factor(cagr_percent, years)


def implied_base(end_value: float, cagr_percent: float, years: float) -> float:
    """The start value that grows to `end_value` in `years` at `cagr_percent`: end / (1 + g)^years."""
    if _number("years", years) < 0:
        raise ValueError(f"years must not be negative, got {years!r}")
    return _positive("end_value", end_value) / growth_factor(cagr_percent, years)


def implied_cagr_percent(start_value: float, end_value: float, years: float) -> float:
    """The constant annual rate (percent) that takes `start_value` to `end_value` in `years`."""
    span = _number("years", years)
    if span <= 0:
        raise ValueError(f"years must be greater than 0, got {years!r}")
    ratio = _positive("end_value", end_value) / _positive("start_value", start_value)
    return (ratio ** (1 / span) - 1) * PERCENT


def previous_from_growth(value: float, growth_percent: float) -> float:
    """Last year's value behind `value` and its year-on-year growth: value / (1 + g)."""
    return _positive("value", value) / (1 + _rate("growth_percent", growth_percent) / PERCENT)


# ---------------------------------------------------------------- series


def interpolate_path(anchors: Mapping[int, float]) -> pd.Series:
    """Every year from the first anchor to the last, growing geometrically between consecutive anchors.

    This is the series a set of stated points implies: each stated value is kept, the years between two
    of them follow the constant growth rate that links them.
    """
    if len(anchors) < 2:
        raise ValueError(f"need at least two anchor years, got {len(anchors)}")
    points = sorted((_year("anchor year", y), _positive(f"anchor value for {y}", v)) for y, v in anchors.items())
    values: dict[int, float] = {}
    for (y0, v0), (y1, v1) in zip(points, points[1:], strict=False):
        if y1 == y0:
            raise ValueError(f"anchor year {y0} is given twice")
        rate = implied_cagr_percent(v0, v1, y1 - y0)
        for year in range(y0, y1 + 1):
            values[year] = project(v0, rate, year - y0)
        values[y1] = v1  # exact, not a rounding of the projection
    return pd.Series(values, name="value").rename_axis("year")


def scenario_path(base_year: int, base_value: float, cagr_percent: float, years: Iterable[int]) -> pd.Series:
    """value(year) = base_value × (1 + g)^(year − base_year), for every year asked (before the base too)."""
    base_year = _year("base_year", base_year)
    base_value = _positive("base_value", base_value)
    chosen = sorted({_year("year", y) for y in years})
    if not chosen:
        raise ValueError("years must not be empty")
    return pd.Series({y: project(base_value, cagr_percent, y - base_year) for y in chosen}, name="value").rename_axis("year")


@dataclass(frozen=True)
class Fan:
    """Simulated paths (rows) over years (columns, the base year first) and their percentiles."""

    years: tuple[int, ...]
    paths: np.ndarray

    def percentiles(self, q: Iterable[float] = FAN_PERCENTILES) -> pd.DataFrame:
        """One row per year, one column per percentile (`p10`, `p50`, `p90`), ordered low to high."""
        qs = sorted(q)
        if not qs or qs[0] < 0 or qs[-1] > PERCENT:
            raise ValueError(f"percentiles must lie in 0..100, got {qs}")
        table = np.percentile(self.paths, qs, axis=0).T
        return pd.DataFrame(table, index=pd.Index(self.years, name="year"), columns=[f"p{q:g}" for q in qs])


@dataclass(frozen=True)
class GrowthScenario:
    """A value at a base year growing at `cagr_percent`, with ±`spread_pp` uncertainty on every year's growth."""

    base_year: int
    base_value: float
    cagr_percent: float
    spread_pp: float = 0.0

    def __post_init__(self) -> None:
        _year("base_year", self.base_year)
        _positive("base_value", self.base_value)
        _rate("cagr_percent", self.cagr_percent)
        if _number("spread_pp", self.spread_pp) < 0:
            raise ValueError(f"spread_pp must not be negative, got {self.spread_pp!r}")
        if self.cagr_percent - self.spread_pp <= -PERCENT:
            raise ValueError("cagr_percent - spread_pp must stay above -100 (a value cannot fall below zero)")

    def path(self, years: Iterable[int]) -> pd.Series:
        return scenario_path(self.base_year, self.base_value, self.cagr_percent, years)

    def simulate(self, horizon: int, *, paths: int = MC_PATHS, seed: int = MC_SEED) -> Fan:
        """Monte Carlo over growth paths from the base year to `horizon`.

        Every path draws each year's growth independently and uniformly from CAGR ± spread, so a path's
        average growth varies less than a single year's: the band narrows relative to the ± envelope.
        Spread 0 gives identical paths (the fan collapses onto the scenario line).
        """
        horizon = _year("horizon", horizon)
        if horizon < self.base_year:
            raise ValueError(f"horizon {horizon} is before the base year {self.base_year}")
        if isinstance(paths, bool) or not isinstance(paths, int) or paths < 1:
            raise ValueError(f"paths must be a positive whole number, got {paths!r}")
        steps = horizon - self.base_year
        rng = np.random.default_rng(seed)
        # abs(): a spread of -0.0 passes the check above, but makes high (cagr + -0.0) fall below low for numpy,
        # whose uniform() then refuses the bounds. With no spread every path is the scenario line: nothing to draw.
        spread = abs(self.spread_pp)
        if spread:
            growth = rng.uniform(self.cagr_percent - spread, self.cagr_percent + spread, size=(paths, steps))
        else:
            growth = np.full((paths, steps), self.cagr_percent + 0.0)
        factors = np.cumprod(1 + growth / PERCENT, axis=1)
        values = self.base_value * np.hstack([np.ones((paths, 1)), factors])
        return Fan(tuple(range(self.base_year, horizon + 1)), values)


# ---------------------------------------------------------------- derived figures


@dataclass(frozen=True)
class Derivation:
    """A derived figure: which rows it comes from, the formula as written in its note, and the computation."""

    figure_id: str
    inputs: tuple[str, ...]
    formula: str
    compute: Callable[..., float]
    decimals: int = 2  # as stored in figures.csv

    def value(self, figures: Mapping[str, float]) -> float:
        missing = [f for f in self.inputs if f not in figures]
        if missing:
            raise ValueError(f"{self.figure_id}: missing input figure(s) {', '.join(missing)}")
        return round(self.compute(*(figures[f] for f in self.inputs)), self.decimals)


MARKET_CAGR_YEARS = 4  # 2021→2025: the reading recorded in global_ai_server_market_cagr's note
SHIPMENTS_CAGR_YEARS = 4  # 2022→2026, as printed
SHIPMENTS_2023_TO_2026_YEARS = 3
ICC_2022_TO_2026_YEARS = 4

DERIVATIONS: tuple[Derivation, ...] = (
    Derivation(
        "global_ai_server_market_2021_derived",
        ("global_ai_server_market_2025", "global_ai_server_market_cagr"),
        "global_ai_server_market_2025 / (1 + global_ai_server_market_cagr/100)^4",
        lambda end, cagr: implied_base(end, cagr, MARKET_CAGR_YEARS),
    ),
    Derivation(
        "global_ai_server_shipments_2022_derived",
        ("global_ai_server_shipments_2023", "global_ai_server_shipments_yoy_2023"),
        "global_ai_server_shipments_2023 / (1 + global_ai_server_shipments_yoy_2023/100)",
        previous_from_growth,
    ),
    Derivation(
        "global_ai_server_shipments_2026_derived",
        ("global_ai_server_shipments_2022_derived", "global_ai_server_shipments_cagr"),
        "global_ai_server_shipments_2022_derived × (1 + global_ai_server_shipments_cagr/100)^4",
        lambda base, cagr: project(base, cagr, SHIPMENTS_CAGR_YEARS),
    ),
    Derivation(
        "global_ai_server_shipments_cagr_2023_2026_derived",
        ("global_ai_server_shipments_2023", "global_ai_server_shipments_2026_derived"),
        "((global_ai_server_shipments_2026_derived / global_ai_server_shipments_2023)^(1/3) − 1) × 100",
        lambda start, end: implied_cagr_percent(start, end, SHIPMENTS_2023_TO_2026_YEARS),
    ),
    Derivation(
        "cn_intelligent_compute_cagr_2022_2026_derived",
        ("cn_intelligent_compute_2022", "cn_intelligent_compute_2026"),
        "((cn_intelligent_compute_2026 / cn_intelligent_compute_2022)^(1/4) − 1) × 100",
        lambda start, end: implied_cagr_percent(start, end, ICC_2022_TO_2026_YEARS),
    ),
)

DERIVATIONS_BY_ID = {d.figure_id: d for d in DERIVATIONS}
