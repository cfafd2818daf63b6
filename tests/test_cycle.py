"""The three-phase cycle model: calibration to the report, monotonicity, bad input, sensitivity."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis import scenario
from analysis.cycle import PHASES, Assumptions, CycleModel, logistic, phase_starts, sensitivity
from analysis.cycle_charts import matrix_scores, phase_items, valid_scores
from analysis.phases import phases


def test_default_boundaries_are_within_a_year_of_the_report(db_con):
    report = phases(db_con).set_index("phase_id")["start_year"]
    computed = phase_starts()
    for phase in PHASES:
        assert abs(computed[phase] - report[phase]) <= 1, (phase, computed[phase], report[phase])
    # "2028年后" (after 2028): the commercial phase must not start before 2028.
    assert computed["commercial"] >= report["commercial"]


def test_phase_starts_without_arguments_uses_the_defaults():
    assert phase_starts() == CycleModel(Assumptions()).fit().phase_starts
    assert set(phase_starts()) == {"infrastructure", "development", "commercial"}


def test_at_each_crossing_the_two_groups_are_equal():
    results = CycleModel().fit()
    a = results.assumptions
    dev, com = results.crossings["development"], results.crossings["commercial"]
    assert_allclose(logistic(dev, *a.curve("inference")), logistic(dev, *a.curve("hardware")), rtol=1e-6)
    assert_allclose(logistic(com, *a.curve("services")), logistic(com, *a.curve("inference")), rtol=1e-6)
    # Infrastructure: hardware at take-off share of its ceiling (20% of 100 by default).
    infra = results.crossings["infrastructure"]
    assert_allclose(logistic(infra, *a.curve("hardware")), a.hardware_ceiling * a.takeoff_percent / 100, rtol=1e-6)
    # Start year is the first whole year at or after the crossing.
    assert results.phase_starts["development"] == math.ceil(dev)


@pytest.mark.parametrize("group, phase", [("inference", "development"), ("services", "commercial")])
def test_an_earlier_midpoint_never_starts_the_phase_later(group, phase):
    midpoints = np.arange(2022.0, 2031.01, 0.25)
    starts = [phase_starts(**{f"{group}_midpoint": float(m)})[phase] for m in midpoints]
    assert None not in starts
    assert all(a <= b for a, b in zip(starts, starts[1:], strict=False)), list(zip(midpoints, starts, strict=False))
    assert starts[0] < starts[-1], "moving the midpoint across nine years should move the phase"


@pytest.mark.parametrize(
    "override, message",
    [
        ({"hardware_ceiling": 0.0}, "hardware_ceiling must be positive"),
        ({"services_ceiling": -5.0}, "services_ceiling must be positive"),
        ({"inference_steepness": 0.0}, "inference_steepness must be positive"),
        ({"hardware_steepness": -1.0}, "hardware_steepness must be positive"),
        ({"inference_midpoint": float("nan")}, "inference_midpoint must be a finite number"),
        ({"services_midpoint": 2100.0}, "services_midpoint must be between 2018 and 2040"),
        ({"takeoff_percent": 100.0}, "takeoff_percent must be between 0 and 100"),
        ({"ceiling": 1.0}, "unknown assumption"),
    ],
)
def test_bad_assumptions_raise_clear_errors(override, message):
    with pytest.raises(ValueError, match=message):
        phase_starts(**override)


def test_a_group_that_never_overtakes_leaves_its_phase_and_the_next_unreached():
    starts = phase_starts(inference_ceiling=50.0)
    assert starts["development"] is None and starts["commercial"] is None
    assert starts["infrastructure"] is not None


def test_sensitivity_shift_is_start_minus_base():
    table = sensitivity()
    assert set(table["phase"]) == set(PHASES)
    known = table.dropna(subset=["start_year"])
    assert_allclose(known["shift_years"].astype(float), known["start_year"] - known["base_start_year"])
    later = table[
        (table["assumption"] == "inference_midpoint") & (table["direction"] == "high") & (table["phase"] == "development")
    ]
    assert later["shift_years"].iloc[0] > 0


def test_scenario_parameters_cover_every_assumption_and_their_defaults_match():
    params = scenario.all_params()
    for name, value in vars(Assumptions()).items():
        assert params[f"cyc_{name}"].default == value


def test_every_maturity_score_belongs_to_a_report_item(db_con):
    items = phase_items(db_con)
    for phase_id in ("development", "commercial"):
        scores = matrix_scores(db_con, phase_id)
        assert not scores.empty
        raw = db_con.execute("SELECT count(*) FROM cycle_matrix WHERE phase_id = ?", [phase_id]).fetchone()[0]
        assert len(scores) == raw, "a score row does not join a phase item"
        assert set(scores["text_zh"]) <= set(items["text_zh"])
        assert scores["source_id"].eq("supp_editorial_cycle_scores").all()


def test_valid_scores():
    good = pd.DataFrame({"demand_maturity_score": [1, 10], "x_maturity_score": [0, 5.5], "scale_score": [3, 4]})
    assert valid_scores(good)
    assert not valid_scores(good.assign(scale_score=[3, None]))
    assert not valid_scores(good.assign(x_maturity_score=[0, 11]))
    assert not valid_scores(good.assign(demand_maturity_score=["a", 1]))


# ---------------------------------------------------------------- link to the inference-share path


def _linked(**values):
    return {**scenario.defaults(), "cyc_link": True, **values}


def test_on_idcs_trend_the_link_changes_nothing(db_con):
    from analysis.cycle_link import assumptions_for, link

    values = _linked()
    result = link(db_con, values, Assumptions())
    assert result.applied and result.shift_years == 0.0
    assert assumptions_for(db_con, values) == Assumptions()


def test_a_faster_inference_shift_moves_the_development_phase_no_later(db_con):
    from analysis.cycle_link import assumptions_for

    changes = [0.5, 1.0, 2.0, 3.0, 5.0]
    starts = [CycleModel(assumptions_for(db_con, _linked(wl_mode="manual", wl_change=c))).fit().phase_starts for c in changes]
    development = [s["development"] for s in starts]
    assert all(a >= b for a, b in zip(development, development[1:], strict=False)), development
    assert development[0] > development[-1]


def test_the_path_reaches_the_share_where_the_straight_line_says(db_con):
    from analysis.cycle_link import link

    split = db_con.execute(
        "SELECT value FROM figures WHERE metric = 'ai_server_workload_share' AND segment = 'inference' ORDER BY period DESC LIMIT 1"
    ).fetchone()[0]
    result = link(db_con, _linked(wl_mode="manual", wl_change=2.0, cyc_link_share=70.0), Assumptions())
    # Hand calculation: the last IDC share (2026) plus 2 pp a year reaches 70% after (70 − last) / 2 years.
    assert_allclose(result.path_year, 2026 + (70.0 - split) / 2.0)


def test_a_path_that_never_reaches_the_share_is_not_applied(db_con):
    from analysis.cycle_link import assumptions_for, link

    values = _linked(wl_mode="manual", wl_change=-1.0)
    assert not link(db_con, values, Assumptions()).applied
    assert assumptions_for(db_con, values) == Assumptions()
