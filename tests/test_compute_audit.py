"""The audit of the report's compute claims and the compute pages' view layer (formatting, editor, charts).

Expected numbers are hand calculations from the report's figures (slide 「芯片：大模型训练需求暴涨，GPU供不应求」
and 「趋势05」 for DGX Cloud), as each test says.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import compute as cm
from analysis import compute_audit, compute_view
from analysis import scenario as sc
from analysis.i18n import LANGS, t


@pytest.fixture(scope="module")
def baseline(db_con) -> pd.DataFrame:
    return compute_audit.audit(db_con, sc.defaults()).set_index("row_id")


def test_every_claim_row_is_there_once(baseline):
    assert list(baseline.index) == [row_id for row_id, *_ in compute_audit.AUDIT_ROWS]
    assert baseline.index.is_unique


@pytest.mark.parametrize(
    "row_id", ["gpt3_1_day", "finetune_1_day", "finetune_1_month", "chatgpt_cost", "dgx_price", "dgx_memory"]
)
def test_defaults_reproduce_the_claims_the_report_derives(baseline, row_id):
    assert abs(baseline.at[row_id, "gap_pct"]) <= 3, baseline.loc[row_id].to_dict()


@pytest.mark.parametrize("row_id", ["six_nd_small", "six_nd_xl", "six_nd_175b"])
def test_six_n_d_rows_are_within_three_percent(baseline, row_id):
    assert abs(baseline.at[row_id, "gap_pct"]) <= 3


def test_a_month_of_1024_a100_needs_38_percent_or_34_days(baseline):
    row = baseline.loc["gpt3_1_month"]
    # 35,000 A100-days ÷ 30 days = 1,166.7 A100, 13.9 % above the printed 1,024.
    assert row["value"] == pytest.approx(35_000 / 30)
    assert row["gap_pct"] == pytest.approx((35_000 / 30 / 1024 - 1) * 100)
    assert row["close_values"]["util"] == pytest.approx(100 / 3 * 35_000 / 30 / 1024)  # 38.0 %
    assert row["close_values"]["days"] == pytest.approx(35_000 / 1024)  # 34.2 days


def test_the_training_cost_claim_implies_a_price(baseline):
    # ">1200万美元" over 35,000 A100-days × 24 h: at least USD 14.29 per A100-hour.
    assert baseline.at["gpt3_cost", "claim"] == 12_000_000
    assert baseline.at["gpt3_cost", "close_values"]["price"] == pytest.approx(12e6 / (35_000 * 24))
    # At the DGX Cloud basis (USD 37,000 / 8 GPUs / 720 h) the run costs 35,000 × 24 × 6.42.
    assert baseline.at["gpt3_cost", "value"] == pytest.approx(35_000 * 24 * 37_000 / 8 / 720)


def test_the_currency_caveat_travels_with_the_fine_tuning_cost(baseline):
    row = baseline.loc["finetune_cost"]
    assert row["basis_key"] == "compute.audit.basis_currency"
    assert "currency" in compute_audit.close_text(row, "en")


def test_the_threshold_row_has_no_gap_but_an_explanation(baseline):
    row = baseline.loc["a100_threshold"]
    assert pd.isna(row["gap_pct"])
    assert row["close_values"]["days"] == pytest.approx(3.5)  # 35,000 A100-days on 10,000 A100


def test_the_audit_follows_the_scenario(db_con, baseline):
    changed = compute_audit.audit(db_con, {**sc.defaults(), "cmp_util_pct": 50.0, "cmp_chip": "h100_sxm"}).set_index("row_id")
    # Claims are stated in A100s: the chosen chip does not matter, the utilisation does.
    assert changed.at["gpt3_1_day", "value"] == pytest.approx(35_000 * (100 / 3) / 50)
    assert changed.at["gpt3_1_day", "gap_pct"] < baseline.at["gpt3_1_day", "gap_pct"]
    assert changed.at["chatgpt_cost", "gap_pct"] == pytest.approx(baseline.at["chatgpt_cost", "gap_pct"])


@pytest.mark.parametrize("lang", LANGS)
def test_every_audit_row_is_translated(baseline, lang):
    for row_id, row in baseline.iterrows():
        assert "⟦" not in t(f"compute.audit.claim.{row_id}", lang)
        assert "⟦" not in compute_audit.close_text(row, lang)


# ---------------------------------------------------------------- view layer


@pytest.mark.parametrize(
    "value, expected",
    [(34_999.9999, 35_000), (34.1796875, 34.2), (6.4236, 6.42), (0.0100004, 0.01), (1350.4, 1350), (0, 0)],
)
def test_rounded(value, expected):
    assert compute_view.rounded(value) == expected


def test_scientific():
    assert compute_view.scientific(3.14496e23) == "3.14 × 10²³"
    assert compute_view.scientific(8.64e19) == "8.64 × 10¹⁹"


@pytest.mark.parametrize(
    "lang, value, unit, expected",
    [
        ("zh", 11e6, "USD", "1,100 万美元"),
        ("en", 11e6, "USD", "USD 11 m"),
        ("en", 37_000, "USD", "USD 37,000"),
        ("zh", 37_000, "USD", "3.7 万美元"),
        ("en", 1166.67, "GPU_count", "1,167 GPUs"),
        ("zh", 35_000, "GPU_days", "35,000 卡·天"),
        ("en", 34.1796875, "days", "34.2 days"),
        ("en", 1350.4, "PF_days", "1,350.4 PF-days"),
        ("en", 3645.833, "PF_days", "3,645.8 PF-days"),
        ("en", 2.6042, "PF_days", "2.6 PF-days"),
    ],
)
def test_formatter(db_con, lang, value, unit, expected):
    assert compute_view.formatter(db_con, lang)(value, unit) == expected


def test_editor_round_trip_and_bad_cell(db_con):
    published = cm.catalogue_from_db(db_con)
    shown = compute_view.editor_frame(published, "en")
    assert compute_view.apply_edits(published, shown, "en").equals(published)
    peak = t("compute.col.peak_dense", "en")
    edited = shown.copy()
    edited.loc[edited[t("compute.col.id", "en")] == "a100", peak] = 624.0
    assert (
        compute_view.apply_edits(published, edited, "en").set_index("accelerator_id").at["a100", "peak_dense_fp16_tflops"] == 624
    )
    edited.loc[edited[t("compute.col.id", "en")] == "h800", peak] = -1.0
    with pytest.raises(cm.ComputeInputError) as excinfo:
        compute_view.apply_edits(published, edited, "en")
    message = compute_view.error_message(excinfo.value, "zh")
    assert "h800 · peak_dense_fp16_tflops" in message and "⟦" not in message


@pytest.mark.parametrize("lang", LANGS)
def test_unknown_peak_message_names_the_chip_in_the_language(db_con, lang):
    with pytest.raises(cm.ComputeInputError) as excinfo:
        cm.compute_scenario(db_con, {**sc.defaults(), "cmp_chip": "moffett_s30"})
    message = compute_view.error_message(excinfo.value, lang)
    assert {"zh": "墨芯 S30", "en": "Moffett S30"}[lang] in message


@pytest.mark.parametrize("lang", LANGS)
def test_catalogue_table_says_unknown(db_con, lang):
    table = compute_view.catalogue_table(cm.catalogue_from_db(db_con), db_con, lang)
    peak = table[t("compute.col.peak_dense", lang)]
    assert (peak == t("compute.unknown", lang)).sum() == 4  # Zhikai, Moffett S30, Kunlunxin, Hygon DCU
    assert "312" in set(peak)


@pytest.mark.parametrize("lang", LANGS)
def test_calculator_view_moves_with_chip_and_utilisation(db_con, lang):
    base = compute_view.calculator_view(db_con, scenario=sc.defaults(), lang=lang)
    faster = compute_view.calculator_view(
        db_con, scenario={**sc.defaults(), "cmp_chip": "h100_sxm", "cmp_util_pct": 50.0}, lang=lang
    )
    assert base.training[1].value != faster.training[1].value
    assert faster.result.gpu_days == pytest.approx(3640 * 1000 / (989.5 * 0.5))
    chip, reference = faster.tradeoff.figure.data[:2]
    assert list(reference.y) != list(chip.y)  # A100 drawn for reference


def test_tradeoff_curve_is_gpu_days_over_days(db_con):
    spec = compute_view.tradeoff_chart(db_con, sc.defaults(), "en")
    curve = spec.figure.data[0]
    assert all(g * d == pytest.approx(35_000) for g, d in zip(curve.y, curve.x, strict=True))
    # Run lengths on a numeric log axis (not evenly spaced categories), in the app and in the deck's picture.
    assert spec.figure.layout.xaxis.type == "log" and spec.figure.layout.yaxis.type == "log"
    assert all(isinstance(float(d), float) for d in curve.x)
    assert spec.native is None  # a PowerPoint category chart cannot hold a numeric log axis
    assert "1,167" in spec.takeaway and "35,000" in spec.takeaway


@pytest.mark.parametrize("lang", LANGS)
def test_tradeoff_y_title_keeps_clear_of_the_tick_labels_in_every_picture(db_con, lang):
    # Slide 11: the house style's 60 px left margin put "GPUs (log scale)" over the "10,000" tick.
    from analysis.chart_layout import FILE, SCREEN, lay_out, slide_medium
    from analysis.charts import GAP_PX, TICK_COL_PX, Y_TITLE_LINE_PX

    spec = compute_view.tradeoff_chart(db_con, sc.defaults(), lang)
    top_tick = max(max(trace.y) for trace in spec.figure.data)  # 35,000 (the report's one-day claim)
    widest = len(f"{top_tick:,.0f}")  # the top decade labelled is shorter still ("10,000")
    # On screen plotly itself grows the margin for the tick labels and the title (automargin), measured in the browser.
    assert lay_out(spec.figure, SCREEN).figure.layout.yaxis.automargin is True
    for medium in (FILE, slide_medium(1000, 370)):
        margin = lay_out(spec.figure, medium).figure.layout.margin.l
        assert margin >= widest * TICK_COL_PX + Y_TITLE_LINE_PX + 2 * GAP_PX, (medium.name, margin)


def test_tornado_follows_the_chosen_output(db_con):
    spec = compute_view.tornado_chart(db_con, {**sc.defaults(), "cmp_output": "inference_gpus"}, "en")
    assert t("compute.input.tokens_per_query", "en") in spec.native.categories
    cost = compute_view.tornado_chart(db_con, {**sc.defaults(), "cmp_output": "inference_cost"}, "en")
    assert t("compute.input.tokens_per_query", "en") not in cost.native.categories


def test_printed_text_survives_markdown_tables():
    assert compute_view.escape_markdown(">1200万美元") == "\\>1200万美元"
    assert compute_view.escape_markdown("~1100万美元/月") == "\\~1100万美元/月"
    assert compute_view.escape_markdown("+13.9%") == "+13.9%"
    assert compute_view.escape_markdown(3.5) == 3.5
