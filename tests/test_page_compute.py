"""AppTest: the compute calculator and audit pages react to chip, utilisation, preset and catalogue edits.

Expected values are hand calculations from the report's 3640 PF-days for GPT-3 175B: 35,000 A100-days at
1/3 of the A100's 312 TFLOPS peak.
"""

from __future__ import annotations

import pytest
from chart_elements import chart_specs
from conftest import PROJECT_ROOT, isolated_app
from streamlit.testing.v1 import AppTest

from analysis.i18n import t

TIMEOUT = 90
CALCULATOR = "pages/compute.py"
AUDIT = "pages/compute_audit.py"


@pytest.fixture(autouse=True)
def isolated(tmp_path_factory):
    work = tmp_path_factory.mktemp("compute-apptest")
    with isolated_app(work / "atlas.duckdb", work / "userdata"):
        yield


def open_page(file: str = CALCULATOR, lang: str = "en", **query) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(file)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label_key: str, lang: str = "en", **fmt) -> str:
    label = t(label_key, lang, **fmt)
    values = [m.value for m in at.metric if m.label == label]
    assert len(values) == 1, [m.label for m in at.metric]
    return values[0]


def gpu_days(at: AppTest) -> str:
    return next(m.value for m in at.metric if m.label.endswith("GPU-days"))


def test_defaults_show_the_report_numbers():
    at = open_page()
    assert gpu_days(at) == "35,000 GPU-days"
    assert metric(at, "compute.card.days_for_gpus", gpus="1,024") == "34.2 days"
    assert metric(at, "compute.card.inference_cost") == "USD 11 m"
    assert at.error == [] and at.warning == []
    # The DGX Cloud per-node reading stays visible, not hidden in a tooltip.
    assert t("compute.dgx_note", "en") in [c.value for c in at.caption]


def test_changing_the_chip_moves_the_outputs_and_the_url():
    at = open_page()
    at.selectbox(key="sc.cmp_chip").set_value("h100_sxm").run()
    assert not at.exception
    assert gpu_days(at) == "11,036 GPU-days"  # 3640 × 1000 ÷ (989.5 × 1/3)
    assert at.query_params["cmp_chip"] in ("h100_sxm", ["h100_sxm"])


def test_changing_utilisation_moves_the_outputs_and_the_url():
    at = open_page()
    at.slider(key="sc.cmp_util_pct").set_value(50.0).run()
    assert not at.exception
    assert gpu_days(at) == "23,333 GPU-days"  # 35,000 × (1/3) ÷ 0.5
    assert metric(at, "compute.card.gpus_for_days", days="30") == "778 GPUs"
    assert at.query_params["cmp_util_pct"] in ("50", ["50"])


def test_changing_the_preset_reads_the_fine_tuning_run():
    at = open_page(lang="zh")
    at.selectbox(key="sc.cmp_preset").set_value("finetune").run()
    assert metric(at, "compute.card.compute", lang="zh") == "1,350.4 PF-days"
    assert next(m.value for m in at.metric if m.label.endswith("卡·天")) == "12,985 卡·天"


def test_a_chip_with_unknown_peak_says_so_and_keeps_the_last_result():
    at = open_page()
    at.selectbox(key="sc.cmp_chip").set_value("moffett_s30").run()
    assert not at.exception
    assert [e.value for e in at.error] == [t("compute.error.unknown_peak", "en", name="Moffett S30")]
    assert gpu_days(at) == "35,000 GPU-days"
    assert t("compute.kept_last", "en") in [c.value for c in at.caption]


def test_a_link_to_a_chip_with_unknown_peak_falls_back_to_the_a100():
    at = open_page(lang="zh", cmp_chip="moffett_s30")
    assert [e.value for e in at.error] == [t("compute.error.unknown_peak", "zh", name="墨芯 S30")]
    assert next(m.value for m in at.metric if m.label.endswith("卡·天")) == "35,000 卡·天"


def test_catalogue_edits_apply_and_bad_cells_keep_the_last_good_catalogue():
    at = open_page()
    editor = "cmp_catalogue_editor_en"
    peak = t("compute.col.peak_dense", "en")
    at.session_state[editor] = {"edited_rows": {0: {peak: 624.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception and at.error == []
    assert gpu_days(at) == "17,500 GPU-days"  # the A100 row (first) at twice the peak
    at.session_state[editor] = {"edited_rows": {0: {peak: -5.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and "a100 · peak_dense_fp16_tflops" in at.error[0].value
    assert gpu_days(at) == "17,500 GPU-days", "the last good catalogue is kept"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_audit_page_follows_utilisation(lang):
    at = open_page(AUDIT, lang)
    gap = t("compute.audit.col.gap", lang)
    before = at.table[0].value[gap].tolist()
    assert before[0] == "+0.0%"  # 35,000 A100 in a day, reproduced
    at.slider(key="sc.cmp_util_pct").set_value(50.0).run()
    assert not at.exception
    after = at.table[0].value[gap].tolist()
    assert after[0] == "-33.3%"  # 23,333 against 35,000
    assert len(chart_specs(at)) == 1
