"""format_figure prints numbers the way the report prints them (zh) and the way an analyst reads them (en).

Expected strings come from the report's own wording (e.g. 317.9亿美元, 接近120万台, 50%～83%) and its
plain arithmetic (317.9 亿美元 = USD 31.79 bn), never from the code under test.
"""

from __future__ import annotations

import math

import pytest

from analysis.format import column_decimals, display_unit, format_figure, format_number, format_quantity, scaled_text
from analysis.i18n import LANGS, t
from analysis.schema import QUALIFIERS
from analysis.tables import figure_label

NAN = float("nan")


@pytest.fixture(scope="module")
def units(db_con) -> dict[str, dict]:
    frame = db_con.execute("SELECT * FROM units").df()
    return {row["unit_id"]: row for row in frame.to_dict("records")}


def fig(value=None, low=None, high=None, qualifier="none") -> dict:
    return {"value": value, "value_low": low, "value_high": high, "qualifier": qualifier}


# (figure, unit, lang, check, expected): check "eq" exact, "in" substring
CASES = [
    # 「服务器：业务增长显著…」: 2025年全球AI服务器市场规模将达317.9亿美元
    pytest.param(fig(317.9), "USD_100m", "zh", "eq", "317.9 亿美元", id="market-zh"),
    pytest.param(fig(317.9), "USD_100m", "en", "eq", "USD 31.79 bn", id="market-en-exact-decimal"),
    # TrendForce: 2023年AI服务器出货量将接近120万台
    pytest.param(fig(120, qualifier="nearly"), "units_10k", "zh", "eq", "接近 120 万台", id="shipments-zh"),
    pytest.param(fig(120, qualifier="nearly"), "units_10k", "en", "eq", "nearly 1.2 million units", id="shipments-en"),
    # IDC 2018: 芯片成本占比高达 50%～83% (a range, no single value)
    pytest.param(fig(None, 50, 83), "percent", "zh", "eq", "50–83%", id="range-none-zh"),
    pytest.param(fig(None, 50, 83), "percent", "en", "eq", "50–83%", id="range-none-en"),
    pytest.param(fig(NAN, 50.0, 83.0), "percent", "en", "eq", "50–83%", id="range-nan-en"),
    # 35000块 A100/1天
    pytest.param(fig(35000), "GPU_count", "zh", "in", "35,000", id="gpus-zh"),
    pytest.param(fig(35000), "GPU_count", "en", "in", "35,000", id="gpus-en"),
    # 运营的算力成本：~1100万美元/月 = USD 11 m a month
    pytest.param(fig(1100, qualifier="approx"), "USD_10k_per_month", "en", "eq", "about USD 11 m a month", id="chatgpt-cost-en"),
    pytest.param(fig(1100, qualifier="approx"), "USD_10k_per_month", "zh", "in", "万美元/月", id="chatgpt-cost-zh"),
    # NVIDIA DGX Cloud 每月3.7万美元: below a million English prints whole dollars, as the compute audit does
    # (3.7 × 10,000 without float noise).
    pytest.param(fig(3.7), "USD_10k_per_month", "en", "eq", "USD 37,000 a month", id="dgx-cloud-in-dollars"),
    # 成本：920万/月 — the report prints no currency
    pytest.param(fig(920), "currency_unspecified_10k_per_month", "en", "in", "currency not stated", id="finetune-cost-en"),
    pytest.param(fig(920), "currency_unspecified_10k_per_month", "zh", "in", "币种未注明", id="finetune-cost-zh"),
    # 约0.01美元 per interaction
    pytest.param(fig(0.01, qualifier="approx"), "USD", "en", "eq", "about USD 0.01", id="per-interaction-en"),
    # 约2.9-3.4倍 (a qualified range)
    pytest.param(fig(None, 2.9, 3.4, qualifier="approx"), "multiple", "en", "eq", "about 2.9–3.4×", id="approx-range-en"),
]


@pytest.mark.parametrize("figure, unit_id, lang, check, expected", CASES)
def test_format_figure(units, figure, unit_id, lang, check, expected):
    text = format_figure(figure, units[unit_id], lang)
    if check == "eq":
        assert text == expected
    else:
        assert expected in text, text
    assert "⟦" not in text
    assert "nan" not in text.lower() and "None" not in text
    assert "0000000" not in text, f"float noise in {text!r}"


def test_chatgpt_cost_zh_keeps_the_approx_qualifier_first(units):
    text = format_figure(fig(1100, qualifier="approx"), units["USD_10k_per_month"], "zh")
    assert text.startswith("约"), text


def test_format_number_matches_unqualified_figure(units):
    # format_figure with qualifier 'none' is exactly the number in its unit.
    for lang in LANGS:
        assert format_figure(fig(317.9), units["USD_100m"], lang) == format_number(317.9, units["USD_100m"], lang)


@pytest.mark.parametrize("qualifier", QUALIFIERS)
@pytest.mark.parametrize("lang", LANGS)
def test_every_qualifier_renders_translated(units, qualifier, lang):
    text = format_figure(fig(5, qualifier=qualifier), units["percent"], lang)
    assert "⟦" not in text, text
    assert "5%" in text
    assert text == t(f"qualifier.{qualifier}", lang, value="5%")
    if qualifier != "none":
        assert text != "5%", f"qualifier {qualifier!r} was dropped"


def test_every_unit_formats_in_both_languages(units):
    # Every unit row of the real units table has usable templates: the number always survives.
    assert len(units) >= 10
    for unit_id, row in units.items():
        for lang in LANGS:
            text = format_figure(fig(7), row, lang)
            assert "7" in text and "{" not in text and "⟦" not in text, (unit_id, lang, text)


# ---------------------------------------------------------------- figure_label


def _row(segment, period) -> dict:
    return {
        "metric_zh": "AI服务器市场规模", "metric_en": "AI server market size",
        "entity_zh": "全球", "entity_en": "Global",
        "segment": segment, "period": period,
    }  # fmt: skip


@pytest.mark.parametrize("blank", [None, NAN, ""])
@pytest.mark.parametrize("lang", LANGS)
def test_figure_label_skips_missing_segment_and_period(blank, lang):
    label = figure_label(_row(blank, blank), lang)
    metric, entity = _row(None, None)[f"metric_{lang}"], _row(None, None)[f"entity_{lang}"]
    assert label == f"{metric} · {entity}"
    assert "nan" not in label.lower() and "None" not in label


@pytest.mark.parametrize("lang", LANGS)
def test_figure_label_translates_known_segment_and_keeps_period(lang):
    label = figure_label(_row("training", "2025"), lang)
    parts = label.split(" · ")
    assert parts[2] == t("segment.training", lang)
    assert parts[3] == "2025"
    assert len(parts) == 4


def test_figure_label_translates_differently_per_language():
    assert figure_label(_row("inference", NAN), "zh").endswith("推理")
    assert figure_label(_row("inference", NAN), "en").endswith("Inference")


def test_figure_label_shows_unknown_segment_raw():
    label = figure_label(_row("some_new_segment", NAN), "en")
    assert label.endswith("some_new_segment")
    assert "⟦" not in label


def test_figure_label_on_real_rows(db_con):
    from analysis.data import figures

    frame = figures(db_con, figure_ids=["global_ai_server_market_2025", "gpt3_parameters"])
    rows = {r["figure_id"]: r for r in frame.to_dict("records")}
    # global_ai_server_market_2025: no segment, period 2025; gpt3_parameters: neither.
    assert figure_label(rows["global_ai_server_market_2025"], "en").endswith(" · 2025")
    assert figure_label(rows["gpt3_parameters"], "en").count(" · ") == 1
    for row in rows.values():
        for lang in LANGS:
            label = figure_label(row, lang)
            assert "nan" not in label.lower() and "None" not in label, label
    assert math.isclose(rows["global_ai_server_market_2025"]["value"], 317.9)


@pytest.mark.parametrize(
    "value, unit, lang, expected",
    [
        (758.62, "USD_100m", "en", "USD 75.9 bn"),  # the market headline, 亿美元 shown in USD bn
        (758.62, "USD_100m", "zh", "759 亿美元"),
        (425.55, "units_10k", "en", "4.26 million units"),
        (6842.12, "EFLOPS", "en", "6,840 EFLOPS"),
        (3.7, "USD_10k_per_month", "en", "USD 37,000 a month"),
    ],
)
def test_format_quantity_prints_three_significant_figures_in_the_display_unit(units, value, unit, lang, expected):
    assert format_quantity(value, units[unit], lang) == expected


def test_display_unit_is_the_charts_unit(units):
    assert display_unit(units["USD_100m"], "en") == (0.1, "USD bn")
    assert display_unit(units["units_10k"], "en") == (0.01, "million units")
    assert display_unit(units["USD_100m"], "zh") == (1.0, "亿美元")


@pytest.mark.parametrize(
    "computed, printed, expected",
    [
        ([15.853, 75.862], [31.79], 2),  # three figures need one decimal; the printed 31.79 carries two
        ([0.8671, 4.2555], [1.2], 3),  # 0.867 needs three
        ([155.2, 6842.12], [155.2, 1271.4], 1),
        ([0.0, float("nan")], [], 0),
    ],
)
def test_column_decimals_keeps_three_figures_and_the_printed_precision(computed, printed, expected):
    assert column_decimals(computed, printed) == expected


def test_scaled_text_has_no_float_noise():
    assert scaled_text(317.9, 0.1) == "31.79"
    assert scaled_text(86.71, 0.01) == "0.8671"
