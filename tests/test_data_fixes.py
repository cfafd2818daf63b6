"""The audit's fixes: derived rows have a derived source, plans and bounds carry the right kind and qualifier,
English singular units, and the MaaS models' parameter scales as printed."""

from __future__ import annotations

import pytest

from analysis import data
from analysis.format import format_figure


def figure(db_con, figure_id: str) -> dict:
    rows = data.figures(db_con, figure_ids=[figure_id])
    assert len(rows) == 1, figure_id
    return rows.iloc[0].to_dict()


def test_origin_report_returns_printed_figures_only(db_con):
    kinds = {k for (k,) in db_con.execute(
        "SELECT DISTINCT f.kind FROM figures f JOIN sources s ON s.source_id = f.source_id WHERE s.origin = 'report'"
    ).fetchall()}  # fmt: skip
    assert "derived" not in kinds
    derived = db_con.execute(
        "SELECT f.figure_id, s.origin FROM figures f JOIN sources s ON s.source_id = f.source_id WHERE f.kind = 'derived'"
    ).fetchall()
    assert len(derived) == 5 and {origin for _, origin in derived} == {"derived"}


def test_derived_sources_say_so_in_the_source_line(db_con):
    line = data.source_line(db_con, ["derived_trendforce_ai_server"], "en")
    assert line.endswith("(derived)") and "TrendForce" in line


@pytest.mark.parametrize(
    "figure_id, column, expected",
    [
        ("microsoft_athena_process", "kind", "forecast"),  # 将由台积电代工，采用5nm制程: a plan
        ("autodl_case_days", "qualifier", "at_most"),  # 短短三天内: within three days
        ("hp_server_chip_cost_share", "qualifier", "up_to"),  # 高达 50%～83%
        ("moffett_max_sparsity", "qualifier", "up_to"),  # 支持高达32倍稀疏
    ],
)
def test_kind_and_qualifier_follow_the_wording(db_con, figure_id, column, expected):
    assert figure(db_con, figure_id)[column] == expected


def test_one_month_reads_as_one_month_in_english(db_con):
    row = figure(db_con, "huawei_version_adaptation_after")
    assert format_figure(row, row, "en") == "1 month"
    before = figure(db_con, "huawei_version_adaptation_before")
    assert format_figure(before, before, "en") == "3 months"


def test_maas_model_parameter_scales_as_printed(db_con, report_text):
    # The MaaS diagram (以百度文心为例): ERNIE 3.0 (百亿级), 鹏城-百度·文心 (千亿级), ERNIE 3.0 Zeus (任务知识增强千亿级).
    expected = {
        "ernie_3_0_parameters": ("百亿级", 100),
        "pcl_baidu_wenxin_parameters": ("千亿级", 1000),
        "ernie_3_0_zeus_parameters": ("任务知识增强千亿级", 1000),
    }
    for figure_id, (printed, value_yi) in expected.items():
        row = figure(db_con, figure_id)
        assert row["printed"] == printed and printed in report_text
        assert row["value"] == value_yi and row["unit"] == "params_yi" and row["qualifier"] == "order_of_magnitude"
        assert row["origin"] == "report" and row["report_section"] == "云计算厂商：服务范式变革，MaaS带来新商业路径"
