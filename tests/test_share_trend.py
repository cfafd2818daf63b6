"""ShareTrend: the logistic fit, its prediction interval, the year a share is reached, the manual path, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.data import workload_split
from analysis.share_trend import ShareTrend, first_year_reaching, inverse_logit, logit

# IDC's China AI server workload, inference share 2020–2026, as printed in the report's chart
# 「中国AI服务器工作负载预测」 (trend 02 of the report).
IDC_INFERENCE = {2020: 51.5, 2021: 57.6, 2022: 58.5, 2023: 59.5, 2024: 60.7, 2025: 61.8, 2026: 62.2}


def shares(values: dict[int, float], segment: str | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({"year": list(values), "share_percent": list(values.values())})
    return frame.assign(segment=segment) if segment else frame


@pytest.fixture(scope="module")
def idc_fit():
    return ShareTrend(shares(IDC_INFERENCE)).fit()


# ---------------------------------------------------------------- the fit


def test_fit_on_the_database_split_uses_the_inference_rows(db_con):
    results = ShareTrend(workload_split(db_con), segment="inference").fit()
    assert (results.first_year, results.last_year, results.nobs, results.df_resid) == (2020, 2026, 7, 5)
    training = ShareTrend(workload_split(db_con), segment="training").fit()
    # Training is 100 − inference in every year, so its log-odds are the negatives: same line, opposite sign.
    assert_allclose([training.intercept, training.slope], [-results.intercept, -results.slope], rtol=1e-12)


def test_fit_matches_a_hand_calculation_of_the_least_squares_line(idc_fit):
    # Expected values: ordinary least squares done independently with numpy on ln(s / (100 − s)).
    years = np.array(list(IDC_INFERENCE)) - 2020
    share = np.array(list(IDC_INFERENCE.values()))
    slope, intercept = np.polyfit(years, np.log(share / (100 - share)), 1)
    assert_allclose([idc_fit.intercept, idc_fit.slope], [intercept, slope], rtol=1e-10)
    assert 0 < idc_fit.rsquared < 1
    assert idc_fit.slope > 0  # IDC has inference gaining every year


def test_a_perfect_logistic_line_is_recovered_exactly():
    # Shares built from log-odds a + b·(t − 2018) with a = −0.4, b = 0.15; OLS must return a and b up to
    # floating-point rounding (tolerance 1e-9 relative), with R² = 1.
    a, b = -0.4, 0.15
    years = range(2018, 2027)
    results = ShareTrend(shares({y: inverse_logit(a + b * (y - 2018)) for y in years})).fit()
    assert_allclose([results.intercept, results.slope], [a, b], rtol=1e-9)
    assert_allclose(results.rsquared, 1.0, rtol=1e-9)
    forecast = results.forecast(2032)
    assert_allclose(forecast["fitted_percent"], inverse_logit(a + b * (forecast["year"] - 2018)), rtol=1e-9)


def test_the_years_are_an_annual_period_index_in_order():
    model = ShareTrend(shares({2022: 58.5, 2020: 51.5, 2021: 57.6}))
    assert isinstance(model.data.index, pd.PeriodIndex)
    assert model.data.index.freqstr.startswith("Y")
    assert model.years == [2020, 2021, 2022]
    assert list(model.data["share_percent"]) == [51.5, 57.6, 58.5]


def test_logit_and_inverse_logit_are_inverses():
    assert logit(50.0) == 0.0
    assert_allclose(inverse_logit(logit(np.array([1.0, 37.8, 62.2, 99.0]))), [1.0, 37.8, 62.2, 99.0], rtol=1e-12)


# ---------------------------------------------------------------- the forecast and its interval


def test_forecast_covers_every_year_and_marks_the_extrapolation(idc_fit):
    forecast = idc_fit.forecast(2032)
    assert list(forecast["year"]) == list(range(2020, 2033))
    assert list(forecast["is_extrapolation"]) == [False] * 7 + [True] * 6
    assert list(forecast["observed_percent"].iloc[:7]) == list(IDC_INFERENCE.values())
    assert forecast["observed_percent"].iloc[7:].isna().all()


@pytest.mark.parametrize("confidence", [0.80, 0.90, 0.95])
def test_interval_contains_the_fitted_line_and_stays_inside_0_100(idc_fit, confidence):
    forecast = idc_fit.forecast(2032, confidence=confidence)
    assert (forecast["lower_percent"] < forecast["fitted_percent"]).all()
    assert (forecast["fitted_percent"] < forecast["upper_percent"]).all()
    assert (forecast["lower_percent"] > 0).all() and (forecast["upper_percent"] < 100).all()


def test_interval_widens_with_the_horizon(idc_fit):
    forecast = idc_fit.forecast(2032)
    ahead = forecast[forecast["year"] >= idc_fit.last_year]
    width_percent = ahead["upper_percent"] - ahead["lower_percent"]
    width_log_odds = logit(ahead["upper_percent"]) - logit(ahead["lower_percent"])
    assert (np.diff(width_log_odds) > 0).all()
    assert (np.diff(width_percent) > 0).all()


def test_interval_is_asymmetric_in_percent_and_symmetric_in_log_odds(idc_fit):
    row = idc_fit.forecast(2032).iloc[-1]
    above, below = row["upper_percent"] - row["fitted_percent"], row["fitted_percent"] - row["lower_percent"]
    assert not np.isclose(above, below)  # the inverse logit bends the band towards 50%
    assert_allclose(
        logit(row["upper_percent"]) - logit(row["fitted_percent"]), logit(row["fitted_percent"]) - logit(row["lower_percent"])
    )


def test_a_higher_confidence_gives_a_wider_band(idc_fit):
    narrow, wide = idc_fit.forecast(2032, confidence=0.8), idc_fit.forecast(2032, confidence=0.95)
    assert (wide["upper_percent"] > narrow["upper_percent"]).all()
    assert (wide["lower_percent"] < narrow["lower_percent"]).all()
    assert_allclose(wide["fitted_percent"], narrow["fitted_percent"])


def test_the_interval_is_statsmodels_obs_interval_mapped_back(idc_fit):
    # The bounds are the OLS prediction interval for a new observation (obs_ci_*), not the mean's (mean_ci_*).
    forecast = idc_fit.forecast(2026, confidence=0.9)
    frame = idc_fit.ols.get_prediction().summary_frame(alpha=0.1)
    assert_allclose(forecast["lower_percent"], inverse_logit(frame["obs_ci_lower"].to_numpy()))
    assert_allclose(forecast["upper_percent"], inverse_logit(frame["obs_ci_upper"].to_numpy()))


# ---------------------------------------------------------------- the year a share is reached


@pytest.mark.parametrize("target", [52.0, 55.0, 60.0, 62.2, 65.0, 70.0, 75.0, 99.0])
@pytest.mark.parametrize("bound", ["fitted", "lower", "upper"])
def test_first_year_reaching_agrees_with_the_forecast(idc_fit, target, bound):
    forecast = idc_fit.forecast(2032)
    column = forecast[f"{bound}_percent"]
    year = idc_fit.first_year_reaching(target, bound=bound)
    if year is None:
        assert (column < target).all()
        return
    at = forecast["year"] == year
    assert column[at].item() >= target
    assert (column[forecast["year"] < year] < target).all()


def test_the_interval_brackets_the_fitted_year(idc_fit):
    early = idc_fit.first_year_reaching(65, bound="upper")
    central = idc_fit.first_year_reaching(65)
    late = idc_fit.first_year_reaching(65, bound="lower")
    assert early is not None and central is not None and late is not None
    assert early <= central <= late


def test_a_share_not_reached_by_the_horizon_gives_none(idc_fit):
    assert idc_fit.first_year_reaching(90, until_year=2032) is None
    assert first_year_reaching(idc_fit.forecast(2030), 99.0, column="upper_percent") is None


# ---------------------------------------------------------------- the manual path


def test_manual_path_keeps_the_data_then_adds_percentage_points(idc_fit):
    path = idc_fit.manual_path(1.5, until_year=2030)
    assert list(path["year"]) == list(range(2020, 2031))
    assert list(path["share_percent"].iloc[:7]) == list(IDC_INFERENCE.values())
    # 62.2% in 2026 plus 1.5 pp a year: 63.7, 65.2, 66.7, 68.2.
    assert_allclose(path["share_percent"].iloc[7:], [63.7, 65.2, 66.7, 68.2], rtol=1e-12)
    assert list(path["is_extrapolation"]) == [False] * 7 + [True] * 4
    assert first_year_reaching(path, 65.0, column="share_percent") == 2028


@pytest.mark.parametrize("change, limit", [(20.0, 100.0), (-20.0, 0.0)])
def test_manual_path_is_held_inside_0_100(idc_fit, change, limit):
    path = idc_fit.manual_path(change, until_year=2032)
    assert path["share_percent"].between(0, 100).all()
    assert path["share_percent"].iloc[-1] == limit


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "values, message",
    [
        ({2020: 51.5, 2021: 57.6}, "need at least 3 years of shares.*got 2"),
        ({2020: 51.5, 2021: 0.0, 2022: 58.5}, r"strictly between 0 and 100.*got 0 in 2021"),
        ({2020: 51.5, 2021: 100.0, 2022: 58.5}, r"strictly between 0 and 100.*got 100 in 2021"),
        ({2020: 51.5, 2021: 120.0, 2022: -3.0}, r"strictly between 0 and 100.*got 120 in 2021, -3 in 2022"),
        ({2020: 51.5, 2021: float("nan"), 2022: 58.5}, r"missing \(NaN or not a number\) in year\(s\) 2021"),
    ],
)
def test_bad_shares_raise_a_clear_value_error(values, message):
    with pytest.raises(ValueError, match=message):
        ShareTrend(shares(values))


@pytest.mark.parametrize(
    "frame, message",
    [
        (pd.DataFrame({"year": [2020, 2021, 2022]}), "missing column.*share_percent"),
        (pd.DataFrame({"year": [2020, 2020, 2021], "share_percent": [50.0, 51, 52]}), r"year\(s\) 2020 appear more than once"),
        (pd.DataFrame({"year": [2020, None, 2022], "share_percent": [50.0, 51, 52]}), "whole calendar years"),
        (pd.DataFrame({"year": [2020.5, 2021, 2022], "share_percent": [50.0, 51, 52]}), "whole calendar years"),
        (pd.DataFrame({"year": [2020, 2021, 2022], "share_percent": ["50", "n/a", "52"]}), r"missing.*2021"),
        ([51.5, 57.6, 58.5], "must be a DataFrame"),
    ],
)
def test_malformed_frames_raise_a_clear_value_error(frame, message):
    with pytest.raises(ValueError, match=message):
        ShareTrend(frame)


def test_an_unknown_segment_names_the_segments_present():
    with pytest.raises(ValueError, match="no rows for segment 'inference' .*training"):
        ShareTrend(shares(IDC_INFERENCE, segment="training"), segment="inference")


@pytest.mark.parametrize("confidence", [0, 1, 90, -0.5, True])
def test_a_confidence_outside_0_1_is_refused(idc_fit, confidence):
    with pytest.raises(ValueError, match="confidence must be a fraction between 0 and 1"):
        idc_fit.forecast(2032, confidence=confidence)


def test_other_bad_arguments_are_refused(idc_fit):
    with pytest.raises(ValueError, match="until_year 2025 is before the last observed year 2026"):
        idc_fit.forecast(2025)
    with pytest.raises(ValueError, match="whole year"):
        idc_fit.manual_path(1.0, until_year=2030.5)
    with pytest.raises(ValueError, match="bound must be one of fitted, lower, upper"):
        idc_fit.first_year_reaching(60, bound="middle")
    with pytest.raises(ValueError, match="strictly between 0 and 100"):
        idc_fit.first_year_reaching(100)
    with pytest.raises(ValueError, match="finite number"):
        idc_fit.manual_path(float("nan"))
