"""Linking the cycle model to the data: the inference group's midpoint follows the inference-share path.

With the link on, the inference curve's midpoint moves one for one with the year China's AI-server
inference share reaches a chosen level on the training-vs-inference page's path (IDC's fitted trend, or
the user's own annual change), measured against the year IDC's fitted trend reaches it. A faster
inference shift therefore moves the development phase earlier; on IDC's trend the link changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import duckdb
import numpy as np

from analysis import data
from analysis.cycle import LAST_YEAR, Assumptions, assumptions_from
from analysis.i18n import t
from analysis.share_trend import ShareTrend, ShareTrendResults, logit

MIDPOINT_RANGE = (2019.0, 2036.0)  # the midpoint slider's range; a linked midpoint stays inside it


@dataclass(frozen=True)
class LinkResult:
    applied: bool
    share_percent: float
    trend_year: float | None  # fractional year IDC's fitted trend reaches the share
    path_year: float | None  # the same on the scenario's path
    shift_years: float
    base_midpoint: float
    midpoint: float


def trend_year_reaching(results: ShareTrendResults, share_percent: float) -> float | None:
    """Fractional year at which the fitted log-odds line reaches `share_percent`; None if it never does."""
    if results.slope <= 0:
        return None
    return results.first_year + (float(logit(share_percent)) - results.intercept) / results.slope


def manual_year_reaching(results: ShareTrendResults, share_percent: float, annual_change_pp: float) -> float | None:
    """Fractional year the observed shares, then the user's straight-line path, first reach the share."""
    observed = results.model.data["share_percent"].to_numpy(dtype=float)
    years = np.asarray(results.model.years, dtype=float)
    for i, share in enumerate(observed):
        if share >= share_percent:
            if i == 0:
                return float(years[0])
            previous = observed[i - 1]
            return float(years[i - 1] + (share_percent - previous) / (share - previous))
    if annual_change_pp <= 0:
        return None
    reached = years[-1] + (share_percent - observed[-1]) / annual_change_pp
    return float(reached) if reached <= LAST_YEAR else None


def link(con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object], base: Assumptions) -> LinkResult:
    share = float(scenario.get("cyc_link_share", 65.0))
    results = ShareTrend(data.workload_split(con), segment="inference").fit()
    trend_year = trend_year_reaching(results, share)
    if scenario.get("wl_mode") == "manual":
        path_year = manual_year_reaching(results, share, float(scenario.get("wl_change", 0.0)))
    else:
        path_year = trend_year
    if trend_year is None or path_year is None:
        return LinkResult(False, share, trend_year, path_year, 0.0, base.inference_midpoint, base.inference_midpoint)
    shift = path_year - trend_year
    midpoint = float(np.clip(base.inference_midpoint + shift, *MIDPOINT_RANGE))
    return LinkResult(True, share, trend_year, path_year, shift, base.inference_midpoint, midpoint)


def assumptions_for(con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object]) -> Assumptions:
    """The model's assumptions for a scenario, with the inference midpoint linked to the data if asked."""
    base = assumptions_from(scenario)
    if not scenario.get("cyc_link"):
        return base
    result = link(con, scenario, base)
    return replace(base, inference_midpoint=result.midpoint) if result.applied else base


def link_for(con: duckdb.DuckDBPyConnection, scenario: tuple) -> LinkResult:
    """`link` for scenario items as a hashable tuple (cache-friendly), for the page's explanation."""
    values = dict(scenario)
    return link(con, values, assumptions_from(values))


def describe_link(result: LinkResult, lang: str) -> str:
    """One sentence on what the link did, for the page."""
    share = f"{result.share_percent:g}%"
    if not result.applied:
        return t("cycle.link_not_applied", lang, share=share, year=LAST_YEAR)
    return t(
        "cycle.link_applied",
        lang,
        share=share,
        path=f"{result.path_year:.1f}",
        trend=f"{result.trend_year:.1f}",
        shift=f"{result.shift_years:+.1f}",
        base=f"{result.base_midpoint:g}",
        midpoint=f"{result.midpoint:.1f}",
    )
