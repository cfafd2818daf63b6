"""The forecast-vs-actual chart: one bar per matched forecast, its error in percent, in both languages."""

from __future__ import annotations

import pytest
from import_rows import apply, csv_bytes, row

from analysis import scorecard
from analysis.i18n import LANGS, t
from analysis.scorecard_chart import error_chart, error_chart_data


@pytest.fixture(autouse=True)
def store_dir(tmp_path, monkeypatch, built_db):
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(tmp_path / "userdata"))
    monkeypatch.setenv("ATLAS_DB_PATH", str(built_db))
    return tmp_path / "userdata"


@pytest.mark.parametrize("lang", LANGS)
def test_error_chart_plots_each_matched_forecast_error_in_percent(db_con, lang):
    apply(db_con, csv_bytes([row()]))  # actual 118.9 万台 for 2023 against the report's 120 万台
    card = scorecard.scorecard(db_con)
    data = error_chart_data(card, lang)
    assert len(data) == len(card) == 1
    # (118.9 − 120) / 120 = −0.9167 %
    assert data[t("scorecard.error_percent", lang)].iloc[0] == pytest.approx((118.9 - 120) / 120 * 100)
    fig = error_chart(card, lang, source_line="source")
    assert list(fig.data[0].x) == pytest.approx(list(data.iloc[:, 1]))
    assert fig.data[0].text[0] == "-0.9%"
    assert t("scorecard.chart_title", lang) in fig.layout.title.text
