"""A logistic trend for a share that must stay between 0 and 100 percent, with prediction intervals.

The model, shaped like statsmodels: `ShareTrend(shares, *, segment=...)` takes the data and options,
`.fit()` returns a `ShareTrendResults` with `forecast`, `first_year_reaching` and `manual_path`.

    logit(s_t) = ln(s_t / (1 - s_t)) = a + b * (t - t0)

is fitted by OLS on the observed years t (t0 = the first of them). `a` is the log-odds in t0 and `b`
the change of log-odds per year (the odds of the segment grow by a factor exp(b) a year). Fitted
values and the bounds of the OLS prediction interval (`obs_ci_lower` / `obs_ci_upper` of
`get_prediction().summary_frame()`) are computed on the log-odds scale and mapped back to percent
with the inverse logit, so every bound stays inside (0, 100) and the band is asymmetric.

The years are held in an annual `pandas.PeriodIndex`, as statsmodels expects for dated data (a
plain integer index of years is read as row numbers, which breaks forecasting).

With few points (IDC's China AI server workload split has 7, 2020–2026, some of them IDC forecasts
rather than actuals) the interval is wide and rests on the assumption that the log-odds follow a
straight line; callers should say so wherever they show it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

DEFAULT_CONFIDENCE = 0.90
DEFAULT_UNTIL_YEAR = 2032
MIN_POINTS = 3  # two parameters plus at least one residual degree of freedom for an interval
PERCENT = 100.0
BOUNDS = ("fitted", "lower", "upper")
FORECAST_COLUMNS = ("year", "observed_percent", "fitted_percent", "lower_percent", "upper_percent", "is_extrapolation")
MANUAL_COLUMNS = ("year", "observed_percent", "share_percent", "is_extrapolation")
_CONST, _TREND = "const", "years_since_first"


def logit(share_percent):
    """Log-odds of a share given in percent (50% → 0); works on numbers, arrays and Series."""
    fraction = share_percent / PERCENT
    return np.log(fraction / (1 - fraction))


def inverse_logit(log_odds):
    """Share in percent for given log-odds (0 → 50%); works on numbers, arrays and Series."""
    return PERCENT / (1 + np.exp(-log_odds))


def annual_index(years: Iterable[int]) -> pd.PeriodIndex:
    """An annual PeriodIndex for calendar years (built from strings: pandas reads a bare int as an ordinal)."""
    return pd.PeriodIndex([str(int(y)) for y in years], freq="Y", name="period")


def first_year_reaching(path: pd.DataFrame, share_percent: float, *, column: str) -> int | None:
    """The first `year` of `path` whose `column` is at or above `share_percent`; None if none is."""
    _check_share(share_percent, "share_percent")
    reached = path.loc[path[column] >= share_percent, "year"]
    return int(reached.min()) if not reached.empty else None


class ShareTrend:
    """Logistic trend of one segment's share (percent) against the calendar year.

    shares: a DataFrame with columns `year` (whole numbers) and `share_percent` (strictly between
    0 and 100); if it also has a `segment` column, only the rows of `segment` are used (as
    `analysis.data.workload_split` returns them). Raises ValueError if fewer than 3 years remain,
    a year repeats, or a share is missing or outside (0, 100).
    """

    def __init__(self, shares: pd.DataFrame, *, segment: str = "inference") -> None:
        self.segment = segment
        self.data = _clean_shares(shares, segment)  # indexed by an annual PeriodIndex, column share_percent

    @property
    def years(self) -> list[int]:
        return [int(y) for y in self.data.index.year]

    def fit(self) -> ShareTrendResults:
        log_odds = logit(self.data["share_percent"]).rename("log_odds")
        exog = _design(self.data.index, first_year=self.years[0])
        # Imported here: statsmodels takes about a second to import, and only the pages that fit a trend need it.
        from statsmodels.regression.linear_model import OLS

        return ShareTrendResults(self, OLS(log_odds, exog).fit())


class ShareTrendResults:
    """A fitted `ShareTrend`. `ols` is the statsmodels RegressionResults on the log-odds scale."""

    def __init__(self, model: ShareTrend, ols) -> None:
        self.model = model
        self.ols = ols

    # ------------------------------------------------------------ coefficients and fit statistics

    @property
    def first_year(self) -> int:
        return self.model.years[0]

    @property
    def last_year(self) -> int:
        return self.model.years[-1]

    @property
    def intercept(self) -> float:
        """a: fitted log-odds in the first observed year."""
        return float(self.ols.params[_CONST])

    @property
    def slope(self) -> float:
        """b: change in log-odds per year (the odds grow by exp(b) − 1 a year)."""
        return float(self.ols.params[_TREND])

    @property
    def intercept_se(self) -> float:
        return float(self.ols.bse[_CONST])

    @property
    def slope_se(self) -> float:
        return float(self.ols.bse[_TREND])

    @property
    def rsquared(self) -> float:
        """R² on the log-odds scale."""
        return float(self.ols.rsquared)

    @property
    def nobs(self) -> int:
        return int(self.ols.nobs)

    @property
    def df_resid(self) -> int:
        return int(self.ols.df_resid)

    @property
    def resid_std(self) -> float:
        """Standard error of the regression (log-odds)."""
        return float(math.sqrt(self.ols.scale))

    # ------------------------------------------------------------ forecasts

    def forecast(self, until_year: int = DEFAULT_UNTIL_YEAR, *, confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
        """One row per year from the first observed year to `until_year`.

        Columns: year (int), observed_percent (NaN where there is no data), fitted_percent,
        lower_percent / upper_percent (the `confidence` prediction interval for a new observation,
        in percent), is_extrapolation (True after the last observed year).
        """
        _check_confidence(confidence)
        until_year = self._check_until(until_year)
        index = pd.period_range(start=str(self.first_year), end=str(until_year), freq="Y", name="period")
        frame = self.ols.get_prediction(_design(index, first_year=self.first_year)).summary_frame(alpha=1 - confidence)
        years = index.year.astype(int)
        observed = self.model.data["share_percent"].reindex(index)
        return pd.DataFrame(
            {
                "year": years,
                "observed_percent": observed.to_numpy(dtype=float),
                "fitted_percent": inverse_logit(frame["mean"].to_numpy()),
                "lower_percent": inverse_logit(frame["obs_ci_lower"].to_numpy()),
                "upper_percent": inverse_logit(frame["obs_ci_upper"].to_numpy()),
                "is_extrapolation": years > self.last_year,
            },
            columns=list(FORECAST_COLUMNS),
        )

    def first_year_reaching(
        self,
        share_percent: float,
        *,
        until_year: int = DEFAULT_UNTIL_YEAR,
        bound: str = "fitted",
        confidence: float = DEFAULT_CONFIDENCE,
    ) -> int | None:
        """First year (from the first observed year to `until_year`) in which the fitted share, or the
        interval's `bound` ("lower": the late case, "upper": the early case), is at or above
        `share_percent`; None if not before `until_year`."""
        if bound not in BOUNDS:
            raise ValueError(f"bound must be one of {', '.join(BOUNDS)}; got {bound!r}")
        path = self.forecast(until_year, confidence=confidence)
        return first_year_reaching(path, share_percent, column=f"{bound}_percent")

    def manual_path(self, annual_change_pp: float, *, until_year: int = DEFAULT_UNTIL_YEAR) -> pd.DataFrame:
        """The user's own path: the observed shares, then the last observed share changed by
        `annual_change_pp` percentage points a year, held inside [0, 100].

        Columns: year, observed_percent, share_percent, is_extrapolation. The fit is not used: this is
        the override of the trend.
        """
        if not math.isfinite(annual_change_pp):
            raise ValueError(f"annual_change_pp must be a finite number; got {annual_change_pp!r}")
        until_year = self._check_until(until_year)
        index = pd.period_range(start=str(self.first_year), end=str(until_year), freq="Y", name="period")
        years = index.year.astype(int)
        observed = self.model.data["share_percent"].reindex(index).to_numpy(dtype=float)
        last_share = float(self.model.data["share_percent"].iloc[-1])
        steps = np.clip(years - self.last_year, 0, None)
        extended = np.clip(last_share + annual_change_pp * steps, 0.0, PERCENT)
        share = np.where(years <= self.last_year, observed, extended)
        return pd.DataFrame(
            {"year": years, "observed_percent": observed, "share_percent": share, "is_extrapolation": years > self.last_year},
            columns=list(MANUAL_COLUMNS),
        )

    def _check_until(self, until_year: int) -> int:
        if isinstance(until_year, bool) or not float(until_year).is_integer():
            raise ValueError(f"until_year must be a whole year; got {until_year!r}")
        if until_year < self.last_year:
            raise ValueError(f"until_year {until_year} is before the last observed year {self.last_year}")
        return int(until_year)


# ---------------------------------------------------------------- input checks


def _design(index: pd.PeriodIndex, *, first_year: int) -> pd.DataFrame:
    return pd.DataFrame({_CONST: 1.0, _TREND: (index.year - first_year).astype(float)}, index=index)


def _clean_shares(shares: pd.DataFrame, segment: str) -> pd.DataFrame:
    if not isinstance(shares, pd.DataFrame):
        raise ValueError(f"shares must be a DataFrame with columns year and share_percent; got {type(shares).__name__}")
    missing = sorted({"year", "share_percent"} - set(shares.columns))
    if missing:
        raise ValueError(f"shares is missing column(s): {', '.join(missing)}")
    rows = shares
    if "segment" in shares.columns:
        rows = shares[shares["segment"] == segment]
        if rows.empty:
            found = ", ".join(sorted(map(str, shares["segment"].dropna().unique())))
            raise ValueError(f"no rows for segment {segment!r} (segments present: {found or 'none'})")
    year = pd.to_numeric(rows["year"], errors="coerce")
    share = pd.to_numeric(rows["share_percent"], errors="coerce")
    if year.isna().any() or not np.all(np.mod(year, 1) == 0):
        raise ValueError("year must hold whole calendar years, with no missing values")
    if share.isna().any():
        bad = ", ".join(str(int(y)) for y in year[share.isna()])
        raise ValueError(f"share_percent is missing (NaN or not a number) in year(s) {bad}")
    outside = share[(share <= 0) | (share >= PERCENT)]
    if not outside.empty:
        bad = ", ".join(f"{v:g} in {int(year[i])}" for i, v in outside.items())
        raise ValueError(
            f"share_percent must lie strictly between 0 and 100 (the log-odds of 0% or 100% are infinite); got {bad}"
        )
    if year.duplicated().any():
        bad = ", ".join(str(int(y)) for y in sorted(set(year[year.duplicated()])))
        raise ValueError(f"year(s) {bad} appear more than once")
    if len(year) < MIN_POINTS:
        raise ValueError(f"need at least {MIN_POINTS} years of shares to fit a trend with an interval; got {len(year)}")
    ordered = pd.DataFrame({"year": year.astype(int).to_numpy(), "share_percent": share.astype(float).to_numpy()}).sort_values(
        "year"
    )
    return pd.DataFrame({"share_percent": ordered["share_percent"].to_numpy()}, index=annual_index(ordered["year"]))


def _check_confidence(confidence: float) -> None:
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 < confidence < 1:
        raise ValueError(f"confidence must be a fraction between 0 and 1 (e.g. 0.9 for 90%); got {confidence!r}")


def _check_share(share_percent: float, name: str) -> None:
    if isinstance(share_percent, bool) or not isinstance(share_percent, int | float) or not 0 < share_percent < PERCENT:
        raise ValueError(f"{name} must be a number strictly between 0 and 100; got {share_percent!r}")
