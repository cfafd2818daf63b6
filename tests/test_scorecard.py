"""Forecast vs actual and an import's diff: matching, unit conversion, errors, rollback."""

from __future__ import annotations

import pytest
from import_rows import apply, csv_bytes, row
from numpy.testing import assert_allclose

from analysis import scorecard
from analysis.i18n import LANGS, t
from analysis.imports import ImportStore, check_import


@pytest.fixture(autouse=True)
def store_dir(tmp_path, monkeypatch, built_db):
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(tmp_path / "userdata"))
    monkeypatch.setenv("ATLAS_DB_PATH", str(built_db))
    return tmp_path / "userdata"


def card_for(db_con, forecast_id: str):
    card = scorecard.scorecard(db_con)
    return card[card["figure_id_forecast"] == forecast_id]


def test_no_imports_no_scorecard_and_every_dated_forecast_waits(db_con):
    assert scorecard.scorecard(db_con).empty
    waiting = scorecard.awaiting_actuals(db_con)
    assert len(waiting) > 0 and set(waiting["kind"]) == {"forecast"} and waiting["period"].notna().all()


def test_an_actual_sits_beside_its_forecast_with_the_error(db_con):
    apply(db_con, csv_bytes([row()]))  # actual 118.9 万台 for 2023
    pair = card_for(db_con, "global_ai_server_shipments_2023").iloc[0]
    # Forecast: TrendForce, 2023 global AI server shipments 接近120万台 (report, 服务器层现状).
    assert pair["forecast"] == 120.0 and pair["actual"] == 118.9
    assert_allclose(pair["error"], 118.9 - 120.0, rtol=1e-12)
    assert_allclose(pair["error_percent"], (118.9 - 120.0) / 120.0 * 100, rtol=1e-12)
    waiting_ids = set(scorecard.awaiting_actuals(db_con)["figure_id"])
    assert "global_ai_server_shipments_2023" not in waiting_ids


def test_an_actual_in_another_unit_is_converted(db_con):
    # The report forecasts the 2025 global AI server market at 317.9 亿美元 (IDC); 3.2e10 USD = 320 亿美元.
    apply(
        db_con,
        csv_bytes([row(figure_id="t_market", metric="ai_server_market_size", period="2025", value="32000000000", unit="USD")]),
    )
    pair = card_for(db_con, "global_ai_server_market_2025").iloc[0]
    assert_allclose(pair["actual_converted"], 320.0, rtol=1e-12)
    assert_allclose(pair["error"], 320.0 - 317.9, rtol=1e-9)
    shown = scorecard.scorecard_display(card_for(db_con, "global_ai_server_market_2025"), "zh")
    assert shown.iloc[0][t("scorecard.error", "zh")] == "+2.1 亿美元"


def test_only_reported_actuals_are_scored_and_rollback_removes_them(db_con):
    apply(db_con, csv_bytes([row(kind="forecast", figure_id="t_newer_forecast")]), "a newer forecast")
    assert scorecard.scorecard(db_con).empty
    apply(db_con, csv_bytes([row()]), "actual")
    assert len(scorecard.scorecard(db_con)) == 1
    ImportStore().rollback("v0002")
    assert scorecard.scorecard(db_con).empty


def test_shares_differ_in_percentage_points(db_con):
    # IDC's 2024 China workload forecast: inference 60.7%, training 39.3%. Test actuals 61 / 39.
    rows = [
        row(figure_id="t_inf", metric="ai_server_workload_share", entity="CN", segment="inference", period="2024", value="61", unit="percent"),
        row(figure_id="t_tra", metric="ai_server_workload_share", entity="CN", segment="training", period="2024", value="39", unit="percent"),
    ]  # fmt: skip
    apply(db_con, csv_bytes(rows))
    card = scorecard.scorecard(db_con)
    assert set(card["figure_id_forecast"]) == {"cn_ai_server_workload_inference_2024", "cn_ai_server_workload_training_2024"}
    for lang in LANGS:
        shown = scorecard.scorecard_display(card, lang)
        errors = set(shown[t("scorecard.error", lang)])
        assert errors == {t("scorecard.points", lang, value="+0.3"), t("scorecard.points", lang, value="-0.3")}
        assert not any("⟦" in str(v) for v in shown.to_numpy().ravel())


def test_import_diff_names_the_effect_of_each_row(db_con):
    apply(db_con, csv_bytes([row(figure_id="t_first", period="2024", printed="x")]), "first")
    payload = csv_bytes(
        [
            row(),  # beside the report's 2023 forecast
            row(figure_id="t_first", period="2024", value="130"),  # replaces the earlier import
            row(figure_id="t_new", period="2030"),  # nothing to compare with
        ]
    )
    check = check_import(db_con, payload, "b.csv")
    diff = scorecard.import_diff(db_con, check, "en")
    effect = dict(zip(diff[t("column.figure_id", "en")], diff[t("imports.diff_status", "en")], strict=True))
    assert effect == {
        "test_shipments_2023_actual": t("imports.diff_beside_report", "en"),
        "t_first": t("imports.diff_replaces", "en", version="first"),
        "t_new": t("imports.diff_new", "en"),
    }
    change = dict(zip(diff[t("column.figure_id", "en")], diff[t("imports.diff_change", "en")], strict=True))
    assert change["t_new"] == "—"
    assert change["t_first"].startswith("+0.111 million units")  # 130 − 118.9 = 11.1 万台 = 0.111 million


@pytest.mark.parametrize(
    "value, from_unit, to_unit, expected",
    [
        (1.0, "USD_100m", "USD", 1e8),  # units.csv: 1 亿美元 = 10^8 USD
        (3.2e10, "USD", "USD_100m", 320.0),
        (10.0, "units_10k", "units_10k", 10.0),
        (1.0, "months", "days", None),  # months have no fixed length in days
    ],
)
def test_convert(db_con, value, from_unit, to_unit, expected):
    converted = scorecard.convert(value, from_unit, to_unit, scorecard.unit_factors(db_con))
    if expected is None:
        assert converted is None
    else:
        assert_allclose(converted, expected, rtol=1e-12)
