"""Growth arithmetic, the Monte Carlo fan and the derived figures stored in datasets/figures.csv.

Expected numbers are hand calculations on the report's figures (《AIGC算力全景与趋势报告》, 「服务器：业务增长显著…」
and 「服务器层现状…」) or on IDC/Inspur's supplementary series; each test says which.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis import forecast
from analysis.forecast import (
    DERIVATIONS,
    GrowthScenario,
    implied_base,
    implied_cagr_percent,
    interpolate_path,
    previous_from_growth,
    project,
    scenario_path,
)

# Hand calculations carry ~12 significant digits; compare relative to 1e-9.
RTOL = 1e-9


# ---------------------------------------------------------------- formulas against hand-worked values


def test_2022_shipments_behind_the_38_4_percent_growth():
    # TrendForce: 2023 shipments 接近120万台, 年增38.4% → 2022 = 120 / 1.384 = 86.7052023… (万台)
    np.testing.assert_allclose(previous_from_growth(120, 38.4), 120 / 1.384, rtol=RTOL)
    np.testing.assert_allclose(previous_from_growth(1.2, 38.4), 0.867052023121387, rtol=RTOL)  # in million units


def test_2021_market_base_behind_the_19_percent_cagr():
    # IDC: USD 31.79 bn in 2025 at a 19% CAGR; over 2021–2025 (4 years) the base is 31.79 / 1.19⁴.
    # 1.19⁴ = 2.00533921, so the base is 15.85268… USD bn.
    np.testing.assert_allclose(implied_base(31.79, 19, 4), 31.79 / 1.19**4, rtol=RTOL)
    np.testing.assert_allclose(implied_base(31.79, 19, 4), 15.85268, rtol=1e-6)
    # Projecting back is the same number.
    np.testing.assert_allclose(project(31.79, 19, -4), implied_base(31.79, 19, 4), rtol=RTOL)


def test_2026_shipments_endpoint_of_the_22_percent_cagr():
    # 2022–2026 at 22% a year: 86.71 × 1.22⁴ = 86.71 × 2.21533456 = 192.0917…
    np.testing.assert_allclose(project(86.71, 22, 4), 86.71 * 2.21533456, rtol=RTOL)


def test_implied_cagr_of_the_idc_intelligent_compute_series_matches_the_published_one():
    # IDC/Inspur: 155.2 EFLOPS (2021) → 1,271.4 EFLOPS (2026), published CAGR 52.3%.
    # (1271.4 / 155.2)^(1/5) − 1 = 0.52292… → 52.3% when rounded to one decimal as published.
    rate = implied_cagr_percent(155.2, 1271.4, 5)
    np.testing.assert_allclose(rate, ((1271.4 / 155.2) ** 0.2 - 1) * 100, rtol=RTOL)
    assert round(rate, 1) == 52.3


@pytest.mark.parametrize("start, rate, years", [(100.0, 19.0, 4), (86.71, 22.0, 4), (155.2, 52.3, 5), (3.0, 0.0, 7)])
def test_project_and_implied_cagr_invert_each_other(start, rate, years):
    end = project(start, rate, years)
    np.testing.assert_allclose(implied_cagr_percent(start, end, years), rate, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(implied_base(end, rate, years), start, rtol=RTOL)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: project(-1, 19, 4), "value must be greater than 0"),
        (lambda: project(0, 19, 4), "value must be greater than 0"),
        (lambda: project(float("nan"), 19, 4), "value must be finite"),
        (lambda: project("317.9", 19, 4), "value must be a number"),
        (lambda: project(True, 19, 4), "value must be a number"),
        (lambda: project(100, -100, 4), "cagr_percent must be above -100"),
        (lambda: project(100, 19, math.inf), "years must be finite"),
        (lambda: implied_base(100, 19, -1), "years must not be negative"),
        (lambda: implied_cagr_percent(100, 200, 0), "years must be greater than 0"),
        (lambda: implied_cagr_percent(0, 200, 3), "start_value must be greater than 0"),
        (lambda: previous_from_growth(120, -100), "growth_percent must be above -100"),
        (lambda: interpolate_path({2023: 120}), "at least two anchor years"),
        (lambda: interpolate_path({2023: 120, 2023.5: 130}), "anchor year must be a whole year"),
        (lambda: scenario_path(2025, 317.9, 19, []), "years must not be empty"),
        (lambda: GrowthScenario(2025, 317.9, 19, spread_pp=-1), "spread_pp must not be negative"),
        (lambda: GrowthScenario(2025, 317.9, 10, spread_pp=120), "must stay above -100"),
        (lambda: GrowthScenario(2025, 317.9, 19).simulate(2024), "horizon 2024 is before the base year 2025"),
        (lambda: GrowthScenario(2025, 317.9, 19).simulate(2030, paths=0), "paths must be a positive whole number"),
    ],
)
def test_bad_input_raises_a_precise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------- series


def test_interpolated_path_keeps_every_anchor_and_grows_geometrically_between():
    # Shipments: 2022 derived 86.71, 2023 printed 120, 2026 derived 192.09 (万台).
    path = interpolate_path({2026: 192.09, 2022: 86.71, 2023: 120.0})
    assert list(path.index) == [2022, 2023, 2024, 2025, 2026]
    assert (path[2022], path[2023], path[2026]) == (86.71, 120.0, 192.09)
    # Between 2023 and 2026 one constant rate: (192.09 / 120)^(1/3) − 1.
    ratios = path[[2024, 2025, 2026]].to_numpy() / path[[2023, 2024, 2025]].to_numpy()
    np.testing.assert_allclose(ratios, (192.09 / 120) ** (1 / 3), rtol=RTOL)


def test_scenario_path_runs_before_and_after_the_base_year():
    path = scenario_path(2025, 317.9, 19, range(2021, 2031))
    assert path[2025] == 317.9
    np.testing.assert_allclose(path[2021], 317.9 / 1.19**4, rtol=RTOL)
    np.testing.assert_allclose(path[2030], 317.9 * 1.19**5, rtol=RTOL)


# ---------------------------------------------------------------- Monte Carlo fan


def test_the_fan_is_seeded_and_reproducible():
    scenario = GrowthScenario(2025, 317.9, 19, spread_pp=5)
    first, again = scenario.simulate(2030), scenario.simulate(2030)
    np.testing.assert_array_equal(first.paths, again.paths)
    other = scenario.simulate(2030, seed=forecast.MC_SEED + 1)
    assert not np.array_equal(first.paths, other.paths)


def test_percentiles_are_ordered_and_start_at_the_base_value():
    fan = GrowthScenario(2025, 317.9, 19, spread_pp=8).simulate(2032).percentiles()
    assert list(fan.columns) == ["p10", "p50", "p90"]
    assert list(fan.index) == list(range(2025, 2033))
    np.testing.assert_allclose(fan.loc[2025], 317.9, rtol=RTOL)
    later = fan.loc[2026:]
    assert (later["p10"] < later["p50"]).all() and (later["p50"] < later["p90"]).all()


def test_the_fan_widens_with_the_horizon():
    fan = GrowthScenario(2025, 100.0, 19, spread_pp=5).simulate(2032).percentiles()
    relative_width = (fan["p90"] - fan["p10"]) / fan["p50"]
    assert relative_width.loc[2026:].is_monotonic_increasing
    assert relative_width.loc[2032] > relative_width.loc[2026]


def test_spread_zero_collapses_the_fan_onto_the_scenario_line():
    scenario = GrowthScenario(2022, 86.71, 22, spread_pp=0)
    fan = scenario.simulate(2030).percentiles()
    line = scenario.path(range(2022, 2031))
    for column in ("p10", "p50", "p90"):
        np.testing.assert_allclose(fan[column].to_numpy(), line.to_numpy(), rtol=RTOL)


def test_every_simulated_growth_rate_stays_within_the_spread():
    fan = GrowthScenario(2025, 100.0, 19, spread_pp=5).simulate(2030, paths=500)
    growth = fan.paths[:, 1:] / fan.paths[:, :-1] - 1
    assert growth.min() >= 0.14 - 1e-12 and growth.max() <= 0.24 + 1e-12
    # and uses the range, rather than sitting at the centre
    assert growth.min() < 0.145 and growth.max() > 0.235


def test_the_median_path_stays_close_to_the_scenario_line():
    # Independent ±5 pp draws around 19%: the median's log-drift is about −var/2 ≈ −0.03% a year,
    # and its sampling error with 2,000 paths about 0.15%; 1% leaves a wide margin.
    scenario = GrowthScenario(2025, 317.9, 19, spread_pp=5)
    fan = scenario.simulate(2030).percentiles()
    np.testing.assert_allclose(fan["p50"].to_numpy(), scenario.path(range(2025, 2031)).to_numpy(), rtol=0.01)


def test_percentiles_outside_0_100_are_refused():
    fan = GrowthScenario(2025, 317.9, 19, spread_pp=5).simulate(2027)
    with pytest.raises(ValueError, match="percentiles must lie in 0..100"):
        fan.percentiles((10, 150))


# ---------------------------------------------------------------- derived rows in datasets/figures.csv


def _figures(db_con) -> dict[str, dict]:
    cursor = db_con.execute("SELECT figure_id, value, kind, note, metric FROM figures")
    return {row[0]: {"value": row[1], "kind": row[2], "note": row[3], "metric": row[4]} for row in cursor.fetchall()}


@pytest.mark.parametrize("derivation", DERIVATIONS, ids=[d.figure_id for d in DERIVATIONS])
def test_each_derived_row_equals_its_formula_on_the_rows_it_names(db_con, derivation):
    figures = _figures(db_con)
    row = figures[derivation.figure_id]
    assert row["kind"] == "derived"
    inputs = {f: figures[f]["value"] for f in derivation.inputs}
    assert row["value"] == pytest.approx(derivation.value(inputs), abs=1e-9)
    assert derivation.formula in row["note"], "the note must carry the formula as written in analysis.forecast"
    for figure_id in derivation.inputs:
        assert figure_id in derivation.formula


def test_every_derived_row_of_the_forecast_metrics_has_its_formula(db_con):
    from analysis.market import SERIES

    metrics = {s.metric for s in SERIES.values()} | {
        "ai_server_market_cagr",
        "ai_server_shipments_cagr",
        "intelligent_compute_cagr",
    }
    derived = {fid for fid, row in _figures(db_con).items() if row["kind"] == "derived" and row["metric"] in metrics}
    assert derived, "expected derived rows for the forecast series"
    assert derived == {d.figure_id for d in DERIVATIONS}


def test_derived_values_match_the_hand_calculations(db_con):
    figures = _figures(db_con)
    # 317.9 / 1.19⁴ = 158.527 → 158.53 (亿美元); 120 / 1.384 = 86.705 → 86.71 (万台);
    # 86.71 × 1.22⁴ = 192.092 → 192.09; (192.09 / 120)^(1/3) − 1 = 16.98%; (1271.4 / 268)^(1/4) − 1 = 47.58%.
    expected = {
        "global_ai_server_market_2021_derived": 158.53,
        "global_ai_server_shipments_2022_derived": 86.71,
        "global_ai_server_shipments_2026_derived": 192.09,
        "global_ai_server_shipments_cagr_2023_2026_derived": 16.98,
        "cn_intelligent_compute_cagr_2022_2026_derived": 47.58,
    }
    for figure_id, value in expected.items():
        assert figures[figure_id]["value"] == pytest.approx(value, abs=1e-9), figure_id
