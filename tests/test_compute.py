"""The compute calculator (analysis.compute): the report's figures reproduced, properties, bad input, catalogue.

Expected numbers come from the report 《AIGC算力全景与趋势报告》, slide 「芯片：大模型训练需求暴涨，GPU供不应求」
(3640 PF-days → "35000块 A100/1天 或 1024块 A100 跑 1个月"; 1350.4 PF-days → "13000块 A100/1天 或 433 块
A100 跑 1个月"; 11亿 visits × USD 0.01 → "~1100万美元/月"), or from the GPT-3 paper (Brown et al. 2020,
Table D.1: 3.14E+23 FLOP for GPT-3 175B), as each test says.
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pandas as pd
import pytest
from conftest import DATASETS_DIR
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import compute as cm
from analysis import scenario as sc
from analysis.i18n import LANGS, catalog, t

REPORT_TOLERANCE = 0.03  # the bar: each preset within 3 % of the report


@pytest.fixture(scope="module")
def report(db_con) -> cm.ReportInputs:
    return cm.report_inputs(db_con)


def _figure_value(db_con, figure_id: str) -> float:
    return float(cm.figure_values(db_con, [figure_id]).at[figure_id, "value"])


# ---------------------------------------------------------------- the report's numbers come back


def test_pf_day_is_a_petaflop_per_second_for_a_day():
    assert cm.PF_DAY_FLOP == 1e15 * 86_400 == pytest.approx(8.64e19, rel=1e-12)
    assert cm.pf_days_to_flop(1) == cm.PF_DAY_FLOP
    assert cm.flop_to_pf_days(cm.PF_DAY_FLOP * 2.5) == pytest.approx(2.5)


@pytest.mark.parametrize(
    "preset, printed",
    [("gpt3_small", 2.6), ("gpt3_xl", 27.5), ("gpt3_175b", 3640), ("finetune", 1350.4)],  # PF-days as printed
)
def test_presets_are_read_from_the_database(report, preset, printed):
    assert report.preset_pf_days[preset] == pytest.approx(printed, rel=REPORT_TOLERANCE)


@pytest.mark.parametrize(
    "pf_figure, day_figure, month_figure, printed_day, printed_month",
    [
        ("gpt3_175b_training_compute", "gpt3_175b_a100_1_day", "gpt3_175b_a100_1_month", 35000, 1024),
        ("finetune_compute", "finetune_a100_1_day", "finetune_a100_1_month", 13000, 433),
    ],
)
def test_a100_counts_at_a_third_of_peak(db_con, pf_figure, day_figure, month_figure, printed_day, printed_month):
    pf_days = _figure_value(db_con, pf_figure)
    assert _figure_value(db_con, day_figure) == printed_day and _figure_value(db_con, month_figure) == printed_month
    # "N A100 for one day" is the GPU-days of the job.
    assert cm.training_gpu_days(pf_days) == pytest.approx(printed_day, rel=REPORT_TOLERANCE)
    assert cm.gpus_for_days(pf_days, 1) == pytest.approx(printed_day, rel=REPORT_TOLERANCE)
    # "M A100 for a month": about 34 days for GPT-3 (the report's month is loose), about 30 for fine-tuning.
    days = cm.days_for_gpus(pf_days, printed_month)
    expected_days = {1024: 34, 433: 30}[printed_month]  # the issue: 1,024 A100 ≈ 34 days, 433 A100 ≈ 30 days
    assert days == pytest.approx(expected_days, rel=REPORT_TOLERANCE)


def test_gpt3_175b_numbers_by_hand():
    # 3640 PF-days × 1000 TFLOPS per PFLOPS ÷ (312 TFLOPS × 1/3) = 35,000 A100-days exactly.
    assert cm.training_gpu_days(3640, "A100", 1 / 3) == pytest.approx(35_000, rel=1e-12)
    assert cm.days_for_gpus(3640, 1024) == pytest.approx(35_000 / 1024, rel=1e-12)


def test_inference_defaults_reproduce_eleven_million_a_month(db_con, report):
    cost = cm.inference_monthly_cost(report.visits_per_month, report.interactions_per_visit, report.usd_per_interaction)
    claim = float(cm.figure_values(db_con, ["chatgpt_operating_compute_cost"]).at["chatgpt_operating_compute_cost", "base_value"])
    assert claim == 11_000_000  # ~1100万美元/月
    assert cost == pytest.approx(claim, rel=REPORT_TOLERANCE)
    assert cm.inference_monthly_cost(1.1e9) == pytest.approx(11e6, rel=1e-12)  # the API's own defaults


def test_six_n_d_matches_gpt3_175b_flop(db_con):
    params = float(cm.figure_values(db_con, ["gpt3_175b_parameters"]).at["gpt3_175b_parameters", "base_value"])
    tokens = float(cm.figure_values(db_con, ["gpt3_175b_training_tokens"]).at["gpt3_175b_training_tokens", "base_value"])
    assert (params, tokens) == (175e9, 300e9)
    flop = cm.training_flop(params, tokens)
    assert flop == pytest.approx(3.14e23, rel=0.01)  # GPT-3 paper, Table D.1: 3.14E+23 FLOP
    assert cm.flop_to_pf_days(flop) == pytest.approx(3640, rel=REPORT_TOLERANCE)


@pytest.mark.parametrize("size", ["small", "xl", "175b"])
def test_six_n_d_reproduces_each_gpt3_preset(db_con, size):
    ids = [f"gpt3_{size}_parameters", f"gpt3_{size}_training_tokens", f"gpt3_{size}_training_compute"]
    values = cm.figure_values(db_con, ids)
    pf_days = cm.flop_to_pf_days(cm.training_flop(values.at[ids[0], "base_value"], values.at[ids[1], "base_value"]))
    assert pf_days == pytest.approx(values.at[ids[2], "value"], rel=REPORT_TOLERANCE)


def test_dgx_cloud_price_and_lease(report):
    assert (report.dgx_usd_per_node_month, report.dgx_gpus_per_node) == (37_000, 8)  # 每月3.7万美元, 8 GPUs
    assert cm.dgx_cloud_usd_per_gpu_hour(37_000, 8) == pytest.approx(37_000 / 8 / 720)
    assert cm.dgx_cloud_nodes(1024, 8) == 128 and cm.dgx_cloud_nodes(1025, 8) == 129
    assert cm.dgx_cloud_lease_usd(1024, 30, 37_000, 8) == pytest.approx(128 * 37_000)
    assert cm.dgx_cloud_lease_usd(1024, 15, 37_000, 8) == pytest.approx(128 * 37_000 / 2)


def test_serving_gpus_by_hand():
    # 1 query/s × 1000 tokens × 2 × 1e9 FLOP = 2e12 FLOP/s; an A100 at 1/3 sustains 104e12.
    assert cm.inference_gpus(1, 1000, 1e9) == pytest.approx(2e12 / 104e12)
    assert cm.queries_per_second(2_592_000) == pytest.approx(1.0)  # 30 days of seconds


def test_cost_from_gpu_hour_price():
    assert cm.training_cost_usd(35_000, 2.0) == pytest.approx(35_000 * 24 * 2.0)


# ---------------------------------------------------------------- properties

pf_days_values = st.floats(min_value=0.01, max_value=1e7, allow_nan=False, allow_infinity=False)
utilizations = st.floats(min_value=0.01, max_value=1.0)
gpus = ["A100", "H100 SXM", "v100", "ascend_910", "H800"]


@settings(max_examples=60, deadline=None)
@given(pf_days=pf_days_values, days=st.floats(min_value=0.01, max_value=1e4), util=utilizations, gpu=st.sampled_from(gpus))
def test_gpus_times_days_is_constant(pf_days, days, util, gpu):
    gpu_days = cm.training_gpu_days(pf_days, gpu, util)
    assert cm.gpus_for_days(pf_days, days, gpu, util) * days == pytest.approx(gpu_days, rel=1e-9)
    assert cm.days_for_gpus(pf_days, days, gpu, util) * days == pytest.approx(gpu_days, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(pf_days=pf_days_values, util=st.floats(min_value=0.01, max_value=0.5), gpu=st.sampled_from(gpus))
def test_doubling_utilisation_halves_gpu_days(pf_days, util, gpu):
    assert cm.training_gpu_days(pf_days, gpu, 2 * util) == pytest.approx(cm.training_gpu_days(pf_days, gpu, util) / 2, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(pf_days=pf_days_values, factor=st.floats(min_value=0.1, max_value=10))
def test_gpu_days_scale_with_compute(pf_days, factor):
    assert cm.training_gpu_days(pf_days * factor) == pytest.approx(cm.training_gpu_days(pf_days) * factor, rel=1e-9)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, field, message",
    [
        (lambda: cm.training_gpu_days(-1), "pf_days", "pf_days must be positive"),
        (lambda: cm.training_gpu_days(0), "pf_days", "pf_days must be positive"),
        (lambda: cm.training_gpu_days(math.nan), "pf_days", r"not a number \(NaN\)"),
        (lambda: cm.training_gpu_days(math.inf), "pf_days", "must be finite"),
        (lambda: cm.training_gpu_days("3640"), "pf_days", "must be a number"),
        (lambda: cm.training_gpu_days(True), "pf_days", "must be a number"),
        (lambda: cm.training_gpu_days(3640, utilization=1.2), "utilization", "between 0 and 1"),
        (lambda: cm.training_gpu_days(3640, utilization=0), "utilization", "must be positive"),
        (lambda: cm.training_gpu_days(3640, utilization=math.nan), "utilization", "NaN"),
        (lambda: cm.training_gpu_days(3640, gpu="B9000"), "gpu", "unknown GPU 'B9000'"),
        (lambda: cm.training_gpu_days(3640, gpu=""), "gpu", "must be a catalogue name"),
        (lambda: cm.training_gpu_days(3640, gpu="moffett_s30"), "gpu", "peak of Moffett S30 is unknown"),
        (lambda: cm.gpus_for_days(3640, 0), "days", "days must be positive"),
        (lambda: cm.gpus_for_days(3640, -30), "days", "days must be positive"),
        (lambda: cm.days_for_gpus(3640, 0), "gpus", "gpus must be positive"),
        (lambda: cm.days_for_gpus(3640, math.nan), "gpus", "NaN"),
        (lambda: cm.inference_monthly_cost(-1), "visits", "visits must be positive"),
        (lambda: cm.inference_monthly_cost(1e9, 0), "interactions_per_visit", "must be positive"),
        (lambda: cm.inference_monthly_cost(1e9, 1, math.nan), "usd_per_interaction", "NaN"),
        (lambda: cm.training_flop(0, 300e9), "params", "must be positive"),
    ],
)
def test_bad_input_raises_a_clear_value_error(call, field, message):
    with pytest.raises(ValueError, match=message) as excinfo:
        call()
    assert isinstance(excinfo.value, cm.ComputeInputError)
    assert excinfo.value.field == field
    assert excinfo.value.code in cm.ERROR_CODES


@pytest.mark.parametrize("lang", LANGS)
def test_every_error_code_is_translated(lang):
    missing = [code for code in cm.ERROR_CODES if f"compute.error.{code}" not in catalog(lang)]
    assert missing == []


@pytest.mark.parametrize("name", ["A100", "a100", "H100 SXM", "h100-sxm", "NVIDIA A100 (SXM4 80 GB)", "英伟达 A100（SXM4 80GB）"])
def test_gpu_names_are_forgiving(name):
    assert cm.accelerator(name)["accelerator_id"] in ("a100", "h100_sxm")


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("H100", "h100_sxm"),
        ("h100", "h100_sxm"),
        ("NVIDIA H100", "h100_sxm"),
        ("H100（SXM5）", "h100_sxm"),
        ("A100 80GB", "a100"),
        ("a100-80gb", "a100"),
        ("V100 32GB", "v100"),
        ("昇腾910", "ascend_910"),
        ("昇腾 910", "ascend_910"),
        ("Ascend 910", "ascend_910"),
        ("华为昇腾910", "ascend_910"),
        ("S30", "moffett_s30"),
        ("智铠", "iluvatar_zhikai"),
    ],
)
def test_names_people_type_resolve_to_one_chip(typed, expected):
    assert cm.resolve_gpu(typed) == expected


def test_h100_by_its_everyday_name_gives_the_catalogue_figure():
    # 3,640 PF-days (GPT-3, the report's figure) on the H100's dense 989.5 TFLOPS at one third of peak.
    assert cm.training_gpu_days(3640, gpu="H100") == pytest.approx(cm.training_gpu_days(3640, gpu="h100_sxm"))


def test_unknown_gpu_names_the_close_matches():
    with pytest.raises(cm.ComputeInputError, match=r"did you mean: h100_sxm \(NVIDIA H100 \(SXM5\)\)") as caught:
        cm.resolve_gpu("H10")
    assert "h100_sxm" in caught.value.values["suggestions"]


# ---------------------------------------------------------------- the catalogue


def test_catalogue_has_the_required_chips_and_dense_a100_peak():
    table = cm.load_catalogue()
    assert {"a100", "a800", "h100_sxm", "h800", "v100"} <= set(table["accelerator_id"])
    assert cm.peak_tflops("A100") == 312  # NVIDIA A100 datasheet: FP16/BF16 Tensor 312 TFLOPS dense (624 with sparsity)


def test_catalogue_file_and_database_agree(db_con):
    from_file, from_db = cm.load_catalogue(), cm.catalogue_from_db(db_con)
    pd.testing.assert_frame_equal(from_file[list(from_db.columns)], from_db, check_dtype=False)


def test_every_known_spec_has_a_supplementary_source_and_sparse_is_marked(db_con):
    table = cm.catalogue_from_db(db_con)
    sources = dict(db_con.execute("SELECT source_id, origin FROM sources").fetchall())
    spec_columns = ["peak_dense_fp16_tflops", "peak_sparse_fp16_tflops", "memory_gb"]
    for row in table.to_dict("records"):
        has_spec = any(not pd.isna(row[c]) for c in spec_columns) or bool(row["interconnect"])
        if has_spec:
            assert row["spec_source_id"], f"{row['accelerator_id']}: a specification needs a source"
            assert sources[row["spec_source_id"]] == "supplementary", row["accelerator_id"]
        if not pd.isna(row["peak_sparse_fp16_tflops"]):
            # Where a vendor prints a 'with sparsity' figure, the dense one is half of it, and the note says so.
            assert row["peak_sparse_fp16_tflops"] == pytest.approx(2 * row["peak_dense_fp16_tflops"], rel=1e-3)
            assert "sparsity" in row["note"].lower(), row["accelerator_id"]
        assert row["note"], f"{row['accelerator_id']}: every row says what it is and what is unknown"


def test_unknown_specs_stay_empty_for_chips_without_a_public_specification(db_con):
    table = cm.catalogue_from_db(db_con).set_index("accelerator_id")
    for chip in ("moffett_s30", "kunlunxin", "hygon_dcu", "iluvatar_zhikai"):
        assert pd.isna(table.at[chip, "peak_dense_fp16_tflops"]), chip
        assert "unknown" in table.at[chip, "note"].lower() or "no specification" in table.at[chip, "note"].lower()


def test_chip_choices_cover_the_catalogue_and_are_translated():
    with (DATASETS_DIR / "accelerators.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(cm.CHIPS) == [r["accelerator_id"] for r in rows]
    for row in rows:
        for lang in LANGS:
            label = t(f"compute.chip.{row['accelerator_id']}", lang)
            assert label.startswith(row[f"name_{lang}"]), (lang, label)
            assert (not row["peak_dense_fp16_tflops"]) == (label != row[f"name_{lang}"]), "unknown peaks are marked"


@pytest.mark.parametrize(
    "raw, part",
    [(-312, "a100 · peak_dense_fp16_tflops"), (0, "a100 · peak_dense_fp16_tflops"), ("lots", "a100 · peak_dense_fp16_tflops")],
)
def test_bad_catalogue_cells_are_named(raw, part):
    table = cm.load_catalogue().astype({"peak_dense_fp16_tflops": "object"})
    table.loc[table["accelerator_id"] == "a100", "peak_dense_fp16_tflops"] = raw
    with pytest.raises(cm.ComputeInputError, match="must be a positive number or empty") as excinfo:
        cm.validate_catalogue(table)
    assert excinfo.value.code == "catalogue_cells" and part in excinfo.value.values["cells"]


def test_a_duplicate_id_is_refused():
    table = cm.load_catalogue()
    table.loc[1, "accelerator_id"] = "A100"
    with pytest.raises(cm.ComputeInputError, match="repeats row 1"):
        cm.validate_catalogue(table)


def test_an_edited_catalogue_drives_the_calculation_without_streamlit():
    table = cm.load_catalogue()
    table.loc[table["accelerator_id"] == "a100", "peak_dense_fp16_tflops"] = 624.0
    assert cm.training_gpu_days(3640, catalogue=table) == pytest.approx(17_500)
    table.loc[table["accelerator_id"] == "moffett_s30", "peak_dense_fp16_tflops"] = 100.0
    assert cm.training_gpu_days(3640, "moffett_s30", catalogue=table) == pytest.approx(3640 * 1000 / (100 / 3))
    assert cm.training_gpu_days(3640) == pytest.approx(35_000), "the published catalogue is untouched"


def test_a_blank_cell_means_unknown():
    table = cm.load_catalogue().astype({"peak_dense_fp16_tflops": "object"})
    table.loc[table["accelerator_id"] == "v100", "peak_dense_fp16_tflops"] = ""
    clean = cm.validate_catalogue(table)
    assert pd.isna(clean.set_index("accelerator_id").at["v100", "peak_dense_fp16_tflops"])
    with pytest.raises(cm.ComputeInputError, match="unknown"):
        cm.peak_tflops("V100", clean)


# ---------------------------------------------------------------- scenario parameters


def test_param_defaults_are_the_report_figures(db_con):
    params = {p.name: p for p in cm.PARAMS}
    for name, (figure_id, scale) in cm.PARAM_DEFAULT_FIGURES.items():
        base = float(cm.figure_values(db_con, [figure_id]).at[figure_id, "base_value"])
        assert params[name].default * scale == pytest.approx(base, rel=1e-12), name
    assert params["cmp_util_pct"].default == pytest.approx(100 / 3)


def test_params_are_registered_with_the_prefix():
    names = [p.name for p in cm.PARAMS]
    assert all(n.startswith("cmp_") for n in names)
    assert set(names) <= set(sc.all_params())


def test_scenario_defaults_compute_the_report(db_con):
    result = cm.compute_scenario(db_con, sc.defaults())
    assert result.gpu_days == pytest.approx(35_000)
    assert result.days_for_gpus == pytest.approx(34.18, abs=0.01)
    assert result.inference_cost_usd == pytest.approx(11e6)
    assert result.inputs.usd_per_gpu_hour == pytest.approx(37_000 / 8 / 720)  # the DGX Cloud basis


def test_custom_preset_uses_six_n_d(db_con):
    values = {**sc.defaults(), "cmp_preset": "custom", "cmp_params_bn": 70.0, "cmp_tokens_bn": 1400.0}
    result = cm.compute_scenario(db_con, values)
    assert result.flop == pytest.approx(6 * 70e9 * 1400e9)


# ---------------------------------------------------------------- sensitivity


def test_sensitivity_of_gpu_days(db_con):
    x = cm.compute_scenario(db_con, sc.defaults()).inputs
    frame = cm.sensitivity(x, "gpu_days").set_index("input")
    assert set(frame.index) == {"pf_days", "peak_tflops", "utilization"}
    np.testing.assert_allclose(frame.loc["pf_days", ["change_low_pct", "change_high_pct"]], [-20, 20])
    np.testing.assert_allclose(frame.loc["utilization", ["change_low_pct", "change_high_pct"]], [25, -100 / 6])
    # Sorted by swing: a ±20 % move in a divisor swings more than one in a multiplier.
    assert list(cm.sensitivity(x, "gpu_days")["input"])[-1] == "pf_days"


def test_sensitivity_caps_utilisation_at_peak(db_con):
    x = cm.compute_scenario(db_con, {**sc.defaults(), "cmp_util_pct": 90.0}).inputs
    row = cm.sensitivity(x, "gpu_days").set_index("input").loc["utilization"]
    assert row["value_high"] == 1.0 and bool(row["capped"])


@pytest.mark.parametrize("output", cm.OUTPUTS)
def test_every_output_has_a_tornado(db_con, output):
    x = cm.compute_scenario(db_con, sc.defaults()).inputs
    frame = cm.sensitivity(x, output)
    assert len(frame) == len(cm.SENSITIVE_INPUTS[output]) >= 3
    assert (frame["output_low"] > 0).all() and (frame["output_high"] > 0).all()


def test_sensitivity_refuses_an_unknown_output(db_con):
    x = cm.compute_scenario(db_con, sc.defaults()).inputs
    with pytest.raises(ValueError, match="unknown output"):
        cm.sensitivity(x, "happiness")


def test_utilisation_shows_one_decimal_but_keeps_its_value():
    param = {p.name: p for p in cm.PARAMS}["cmp_util_pct"]
    assert param.display(100 / 3) == "33.3%"
    assert param.parse(param.to_text(100 / 3)) == pytest.approx(100 / 3, rel=1e-9)  # the URL keeps full precision
    assert sc.Param("x", 1.25).display(1.25) == "1.25"  # without `decimals`, as many digits as it has
