"""The report's three-phase cycle (基建期 → 开发期 → 商业期) as a small, transparent model.

Three groups of players capture value along logistic S-curves:

    V_g(t) = C_g / (1 + exp(-k_g · (t − m_g)))

with ceiling C_g (an index: the training-hardware ceiling is 100), midpoint year m_g and steepness k_g
(per year). The infrastructure phase begins in the first year training hardware reaches the take-off
share of its ceiling; each later phase begins in the first whole year its group's value is at least the
previous group's. The defaults are calibrated so the boundaries land on the report's years
(2023, 2026, after 2028); they are not measured from data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd

GROUPS = ("hardware", "inference", "services")
PHASE_OF_GROUP = {"hardware": "infrastructure", "inference": "development", "services": "commercial"}
PHASES = tuple(PHASE_OF_GROUP.values())
REPORT_PHASE_STARTS = {"infrastructure": 2023, "development": 2026, "commercial": 2028}  # 2028年后 read as 2028
FIRST_YEAR = 2018
LAST_YEAR = 2040
CURVE_STEP_YEARS = 0.25
SCAN_STEP_YEARS = 0.01


@dataclass(frozen=True)
class Assumptions:
    """Every input of the model; the defaults are the calibrated ones."""

    hardware_midpoint: float = 2024.0
    hardware_steepness: float = 1.2
    hardware_ceiling: float = 100.0
    inference_midpoint: float = 2025.5
    inference_steepness: float = 1.0
    inference_ceiling: float = 150.0
    services_midpoint: float = 2028.0
    services_steepness: float = 0.9
    services_ceiling: float = 250.0
    takeoff_percent: float = 20.0

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"{item.name} must be a finite number, got {value!r}")
        for group in GROUPS:
            if getattr(self, f"{group}_ceiling") <= 0:
                raise ValueError(f"{group}_ceiling must be positive, got {getattr(self, f'{group}_ceiling')!r}")
            if getattr(self, f"{group}_steepness") <= 0:
                raise ValueError(f"{group}_steepness must be positive, got {getattr(self, f'{group}_steepness')!r}")
            midpoint = getattr(self, f"{group}_midpoint")
            if not FIRST_YEAR <= midpoint <= LAST_YEAR:
                raise ValueError(f"{group}_midpoint must be between {FIRST_YEAR} and {LAST_YEAR}, got {midpoint!r}")
        if not 0 < self.takeoff_percent < 100:
            raise ValueError(f"takeoff_percent must be between 0 and 100 (exclusive), got {self.takeoff_percent!r}")

    def curve(self, group: str) -> tuple[float, float, float]:
        """(ceiling, midpoint, steepness) of one group."""
        if group not in GROUPS:
            raise ValueError(f"unknown group {group!r}; expected one of {', '.join(GROUPS)}")
        return (getattr(self, f"{group}_ceiling"), getattr(self, f"{group}_midpoint"), getattr(self, f"{group}_steepness"))


# The model as the cycle page writes it out (LaTeX): the curves, then how each phase's first year is found.
EQUATIONS_LATEX = (
    r"V_g(t) = \frac{C_g}{1 + e^{-k_g\,(t - m_g)}}, \quad g \in \{\text{hardware}, \text{inference}, \text{services}\}",
    r"t_{\text{infra}} = \min\{t : V_{\text{hw}}(t) \ge p \cdot C_{\text{hw}}\}, \quad t_{\text{dev}} = \min\{t > t_{\text{infra}} : V_{\text{inf}}(t) \ge V_{\text{hw}}(t)\}",
    r"t_{\text{com}} = \min\{t > t_{\text{dev}} : V_{\text{svc}}(t) \ge V_{\text{inf}}(t)\}",
)


def logistic(years, ceiling: float, midpoint: float, steepness: float):
    return ceiling / (1.0 + np.exp(-steepness * (np.asarray(years, dtype=float) - midpoint)))


@dataclass(frozen=True)
class CycleResults:
    assumptions: Assumptions
    crossings: dict[str, float | None]  # phase -> the exact (fractional) year its condition is first met
    phase_starts: dict[str, int | None]  # phase -> first whole year of the phase; None if not within the horizon

    def curves(self, step_years: float = CURVE_STEP_YEARS) -> pd.DataFrame:
        """Long table: year, group, value_index."""
        years = np.round(np.arange(FIRST_YEAR, LAST_YEAR + step_years / 2, step_years), 4)
        parts = [
            pd.DataFrame({"year": years, "group": group, "value_index": logistic(years, *self.assumptions.curve(group))})
            for group in GROUPS
        ]
        return pd.concat(parts, ignore_index=True)

    def leader(self, year: float) -> str:
        """The group capturing the most value in `year`."""
        values = {g: float(logistic(year, *self.assumptions.curve(g))) for g in GROUPS}
        return max(values, key=values.get)

    @property
    def in_order(self) -> bool:
        starts = [self.phase_starts[p] for p in PHASES]
        return all(s is not None for s in starts) and starts == sorted(starts)


class CycleModel:
    """statsmodels-shaped: options in, `.fit()` returns a results object."""

    def __init__(self, assumptions: Assumptions | None = None, **overrides: float):
        base = assumptions or Assumptions()
        unknown = sorted(set(overrides) - {f.name for f in fields(Assumptions)})
        if unknown:
            raise ValueError(f"unknown assumption(s): {', '.join(unknown)}")
        self.assumptions = replace(base, **overrides)

    def fit(self) -> CycleResults:
        a = self.assumptions
        hardware = a.curve("hardware")
        takeoff = hardware[0] * a.takeoff_percent / 100.0
        # Phases run in order: each overtaking is looked for only after the previous phase has begun
        # (far back in the tails a flatter curve can sit above a steeper one; that is not an overtaking).
        infrastructure = _first_crossing(lambda t: logistic(t, *hardware) - takeoff, FIRST_YEAR)
        development = _first_crossing(_gap(a, "inference", "hardware"), infrastructure)
        commercial = _first_crossing(_gap(a, "services", "inference"), development)
        crossings = {"infrastructure": infrastructure, "development": development, "commercial": commercial}
        starts = {phase: (None if year is None else math.ceil(round(year, 6))) for phase, year in crossings.items()}
        return CycleResults(a, crossings, starts)


def _gap(a: Assumptions, group: str, previous: str):
    return lambda t: logistic(t, *a.curve(group)) - logistic(t, *a.curve(previous))


def _first_crossing(difference, from_year: float | None) -> float | None:
    """First year in [from_year, LAST_YEAR] at which `difference` is ≥ 0; None if none (or no from_year).

    `difference` takes an array of years, so the scan is one vectorised call: with a call per grid point the
    sensitivity table's fits took about 0.6 s on every new slider value, now about 10 ms.
    """
    if from_year is None:
        return None
    if difference(from_year) >= 0:
        return float(from_year)
    grid = np.arange(from_year, LAST_YEAR + SCAN_STEP_YEARS, SCAN_STEP_YEARS)
    values = np.asarray(difference(grid), dtype=float)
    above = np.nonzero(values >= 0)[0]
    if above.size == 0:
        return None
    i = int(above[0])
    from scipy.optimize import brentq  # here: scipy.optimize costs about a second to import, on pages that never solve

    return float(brentq(lambda t: float(difference(t)), grid[i - 1], grid[i]))


def phase_starts(**assumptions: float) -> dict[str, int | None]:
    """Computed first year of each phase; with no arguments, the calibrated defaults."""
    return CycleModel(**assumptions).fit().phase_starts


# How far each assumption is moved in the sensitivity table: midpoints by years, the rest by a fraction.
SENSITIVITY_MIDPOINT_YEARS = 1.0
SENSITIVITY_FRACTION = 0.2


def sensitivity(assumptions: Assumptions | None = None) -> pd.DataFrame:
    """Phase start years when each assumption moves down and up (midpoints ±1 year, others ±20%)."""
    base = assumptions or Assumptions()
    base_starts = CycleModel(base).fit().phase_starts
    rows = []
    for item in fields(Assumptions):
        value = getattr(base, item.name)
        if item.name.endswith("_midpoint"):
            low, high = value - SENSITIVITY_MIDPOINT_YEARS, value + SENSITIVITY_MIDPOINT_YEARS
        else:
            low, high = value * (1 - SENSITIVITY_FRACTION), value * (1 + SENSITIVITY_FRACTION)
        for direction, moved in (("low", low), ("high", high)):
            try:
                starts = CycleModel(base, **{item.name: moved}).fit().phase_starts
            except ValueError:
                continue  # a move outside the valid range is not a scenario
            for phase in PHASES:
                rows.append(
                    {
                        "assumption": item.name,
                        "direction": direction,
                        "value": moved,
                        "phase": phase,
                        "start_year": starts[phase],
                        "base_start_year": base_starts[phase],
                    }
                )
    table = pd.DataFrame(rows)
    table["shift_years"] = table["start_year"].astype("Float64") - table["base_start_year"].astype("Float64")
    return table


def assumptions_from(values: Mapping[str, object]) -> Assumptions:
    """The model's inputs from scenario values (`cyc_<assumption>` names); missing ones keep defaults."""
    names = {f.name for f in fields(Assumptions)}
    return Assumptions(**{n: float(values[f"cyc_{n}"]) for n in names if f"cyc_{n}" in values})


def _param(name: str, *, low: float, high: float, step: float, unit: str = "", is_year: bool = False):
    from analysis.scenario import Param

    default = getattr(Assumptions(), name)
    return Param(
        f"cyc_{name}",
        float(default),
        min_value=low,
        max_value=high,
        step=step,
        unit=unit,
        is_year=is_year,
        label_key=f"cycle.param.{name}",
        help_key=f"cycle.param.{name}_help",
        page_id="cycle",
    )


PARAMS = (
    *(
        p
        for group in GROUPS
        for p in (
            _param(f"{group}_midpoint", low=2019, high=2036, step=0.5, is_year=True),
            _param(f"{group}_steepness", low=0.2, high=3.0, step=0.1),
            _param(f"{group}_ceiling", low=10, high=500, step=10),
        )
    ),
    _param("takeoff_percent", low=5, high=50, step=1, unit="%"),
)


def _link_params():
    from analysis.scenario import Param

    return (
        Param("cyc_link", False, kind="bool", label_key="cycle.param.link", help_key="cycle.param.link_help", page_id="cycle"),
        Param(
            "cyc_link_share",
            65.0,
            min_value=55,
            max_value=90,
            step=0.5,
            unit="%",
            label_key="cycle.param.link_share",
            help_key="cycle.param.link_share_help",
            page_id="cycle",
        ),
    )


PARAMS = (*PARAMS, *_link_params())
