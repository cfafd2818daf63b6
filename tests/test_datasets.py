"""Catalogue guards on the real datasets/, read from a database built into a temp folder.

Expected numbers are copied from the report 《AIGC算力全景与趋势报告》 (QbitAI Think Tank, 2023);
each test names the slide or sentence it comes from.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from analysis.schema import KINDS

# Floats below are single decimals copied from the report; compare to within 1e-9 absolute.
TOL = 1e-9


def _figure(db_con, figure_id: str) -> dict:
    cursor = db_con.execute("SELECT * FROM figures WHERE figure_id = ?", [figure_id])
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    assert len(rows) == 1, f"{figure_id}: {len(rows)} rows"
    return dict(zip(names, rows[0], strict=False))


def test_figures_table_is_not_empty(db_con):
    # The guards below quantify over all figures; make sure there is something to quantify over.
    (count,) = db_con.execute("SELECT count(*) FROM figures").fetchone()
    assert count >= 100  # datasets/figures.csv holds 105 figures


def test_every_figure_has_an_existing_source(db_con):
    orphans = db_con.execute(
        """SELECT f.figure_id, f.source_id FROM figures f
           LEFT JOIN sources s ON s.source_id = f.source_id
           WHERE s.source_id IS NULL OR f.source_id IS NULL OR trim(f.source_id) = ''"""
    ).fetchall()
    assert orphans == []


def test_every_metric_has_both_names(db_con):
    unnamed = db_con.execute(
        """SELECT metric_id FROM metrics
           WHERE name_zh IS NULL OR trim(name_zh) = '' OR name_en IS NULL OR trim(name_en) = ''"""
    ).fetchall()
    assert unnamed == []
    (count,) = db_con.execute("SELECT count(*) FROM metrics").fetchone()
    assert count > 0


def test_every_figure_metric_is_in_the_dictionary(db_con):
    unknown = db_con.execute(
        "SELECT f.figure_id, f.metric FROM figures f LEFT JOIN metrics m ON m.metric_id = f.metric WHERE m.metric_id IS NULL"
    ).fetchall()
    assert unknown == []


def test_every_kind_is_known(db_con):
    kinds = {k for (k,) in db_con.execute("SELECT DISTINCT kind FROM figures").fetchall()}
    assert kinds <= set(KINDS), kinds - set(KINDS)
    # The report has both printed facts and forecasts; losing either would be a catalogue error.
    assert {"reported", "forecast"} <= kinds


def test_supplementary_figures_say_so_in_their_note(db_con):
    rows = db_con.execute(
        """SELECT f.figure_id, f.note FROM figures f JOIN sources s ON s.source_id = f.source_id
           WHERE s.origin = 'supplementary'"""
    ).fetchall()
    assert rows, "expected supplementary figures (the IDC/Inspur intelligent compute series)"
    unmarked = [fid for fid, note in rows if not note or "supplementary" not in note.lower()]
    assert unmarked == []


# ---------------------------------------------------------------- the workload split

# Source: the report's chart 「中国AI服务器工作负载预测」 (IDC; section 趋势02), years 2020–2026.
WORKLOAD_YEARS = [str(y) for y in range(2020, 2027)]
WORKLOAD_TRAINING = [48.5, 42.4, 41.5, 40.5, 39.3, 38.2, 37.8]
WORKLOAD_INFERENCE = [51.5, 57.6, 58.5, 59.5, 60.7, 61.8, 62.2]


def test_cn_ai_server_workload_split_matches_the_chart(db_con):
    rows = db_con.execute(
        """SELECT segment, period, value, unit, entity FROM figures
           WHERE metric = 'ai_server_workload_share' ORDER BY segment, period"""
    ).fetchall()
    assert len(rows) == 14
    assert {r[3] for r in rows} == {"percent"}
    assert {r[4] for r in rows} == {"CN"}
    by_segment = {seg: [(p, v) for s, p, v, _, _ in rows if s == seg] for seg in ("training", "inference")}
    assert [p for p, _ in by_segment["training"]] == WORKLOAD_YEARS
    assert [p for p, _ in by_segment["inference"]] == WORKLOAD_YEARS
    np.testing.assert_allclose([v for _, v in by_segment["training"]], WORKLOAD_TRAINING, rtol=0, atol=TOL)
    np.testing.assert_allclose([v for _, v in by_segment["inference"]], WORKLOAD_INFERENCE, rtol=0, atol=TOL)
    # Each year's pair adds up to 100 % (the chart is a 100 % stacked bar).
    np.testing.assert_allclose(np.add(WORKLOAD_TRAINING, WORKLOAD_INFERENCE), 100.0, rtol=0, atol=TOL)


# ---------------------------------------------------------------- key figures exactly as printed

KEY_FIGURES = [
    # 「服务器：业务增长显著…」: IDC, global AI server market 317.9亿美元 in 2025
    ("global_ai_server_market_2025", dict(value=317.9, unit="USD_100m", period="2025")),
    # 「服务器层现状…」: TrendForce, 2023 shipments 接近120万台
    ("global_ai_server_shipments_2023", dict(value=120, unit="units_10k", qualifier="nearly", period="2023")),
    # same slide: 年增38.4%
    ("global_ai_server_shipments_yoy_2023", dict(value=38.4, unit="percent")),
    # same slide: 2022–2026 年复合增长率上调至22%
    ("global_ai_server_shipments_cagr", dict(value=22, unit="percent", period="2022-2026")),
    # 「芯片：大模型训练需求暴涨…」: GPT-3 175B 3640 PFLops/天
    ("gpt3_175b_training_compute", dict(value=3640, unit="PF_days")),
    # same slide: fine-tuning 1350.4 PFlops/天
    ("finetune_compute", dict(value=1350.4, unit="PF_days")),
    # same slide: 35000块 A100/1天, 1024块 A100 跑 1个月
    ("gpt3_175b_a100_1_day", dict(value=35000, unit="GPU_count")),
    ("gpt3_175b_a100_1_month", dict(value=1024, unit="GPU_count")),
    # same slide: 13000块 A100/1天, 433 块 A100 跑 1个月
    ("finetune_a100_1_day", dict(value=13000, unit="GPU_count")),
    ("finetune_a100_1_month", dict(value=433, unit="GPU_count")),
    # IDC 2018 server cost structure: chips 50%～83% of a high-performance server's cost
    ("hp_server_chip_cost_share", dict(value=None, value_low=50, value_high=83, unit="percent")),
    # 「智算中心现状…」: the top five provinces hold 75% of the server and 90% of the AI server market (2021)
    ("top5_server_market_share_2021", dict(value=75, unit="percent", period="2021")),
    ("top5_ai_server_market_share_2021", dict(value=90, unit="percent", period="2021")),
    # 「趋势05」: DGX Cloud 每月3.7万美元
    ("dgx_cloud_price_monthly", dict(value=3.7, unit="USD_10k_per_month")),
    # 「芯片：…」: 一万枚英伟达A100芯片 is the threshold for a good large model
    ("a100_threshold_large_model", dict(value=10000, unit="GPU_count")),
]


@pytest.mark.parametrize("figure_id, expected", KEY_FIGURES, ids=[k for k, _ in KEY_FIGURES])
def test_key_figure_as_printed(db_con, figure_id, expected):
    row = _figure(db_con, figure_id)
    for column, want in expected.items():
        got = row[column]
        if want is None:
            assert got is None, f"{figure_id}.{column}: expected NULL, got {got!r}"
        elif isinstance(want, (int, float)):
            assert got == pytest.approx(want, rel=0, abs=TOL), f"{figure_id}.{column}"
        else:
            assert got == want, f"{figure_id}.{column}"


# ---------------------------------------------------------------- provenance against the report text

NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def _numbers(text: str) -> list[str]:
    return [m.replace(",", "") for m in NUMBER.findall(text)]


def _occurs(number: str, text: str) -> bool:
    # A whole number token: not part of a longer number (so "38.4" does not match inside "138.45").
    return re.search(rf"(?<![\d.]){re.escape(number)}(?!\d|\.\d)", text) is not None


def test_number_matcher_is_strict():
    # Guards the provenance test's own matcher, so a lax regex cannot make it pass vacuously.
    assert _numbers("约2.9-3.4倍, 1,271.4 EFLOPS, A100") == ["2.9", "3.4", "1271.4", "100"]
    assert _occurs("38.4", "年增38.4%")
    assert not _occurs("38.4", "138.45")
    assert not _occurs("120", "1200万")


def test_report_figures_numbers_occur_in_the_report(db_con, report_text):
    text = THOUSANDS.sub("", report_text)
    rows = db_con.execute(
        """SELECT f.figure_id, f.printed FROM figures f JOIN sources s ON s.source_id = f.source_id
           WHERE s.origin = 'report'"""
    ).fetchall()
    assert len(rows) > 50
    missing = [(fid, printed, n) for fid, printed in rows for n in _numbers(printed) if not _occurs(n, text)]
    assert missing == [], "numbers in `printed` not found in the report text"


# ---------------------------------------------------------------- ambiguity notes


def test_finetune_cost_note_mentions_currency(db_con):
    row = _figure(db_con, "finetune_cost_monthly")
    # The report prints 920万/月 without a currency; the note must say so.
    assert row["note"] and "currency" in row["note"].lower()
    assert row["unit"] == "currency_unspecified_10k_per_month"


def test_baidu_claim_notes_mention_pairing(db_con):
    rows = db_con.execute(
        "SELECT figure_id, note FROM figures WHERE figure_id LIKE 'baidu_claim_%' ORDER BY figure_id"
    ).fetchall()
    # The Baidu slide prints 90%+ 100%+ 70%+ and three labels whose pairing is uncertain.
    assert [fid for fid, _ in rows] == ["baidu_claim_100", "baidu_claim_70", "baidu_claim_90"]
    for fid, note in rows:
        assert note, f"{fid} has no note"
        lowered = note.lower()
        assert "pairing" in lowered or "not assigned" in lowered, f"{fid}: note does not address the label pairing"
    full = dict(rows)["baidu_claim_90"]
    assert "pairing" in full.lower()
    for printed in ("90%+", "100%+", "70%+"):
        assert printed in full


HAN = re.compile(r"[\u4e00-\u9fff]")


def test_a_chinese_source_line_never_carries_our_own_titles_in_english(db_con):
    from analysis.data import source_line

    ours = db_con.execute(
        "SELECT source_id FROM sources WHERE producer_en LIKE 'Compute Atlas%' OR origin = 'derived'"
    ).fetchall()
    assert ours
    for (source_id,) in ours:
        zh, en = source_line(db_con, [source_id], "zh"), source_line(db_con, [source_id], "en")
        title_zh = zh[zh.index("《") + 1 : zh.rindex("》")]
        assert HAN.search(title_zh), f"{source_id}: Chinese title expected in {zh!r}"
        assert not HAN.search(en), f"{source_id}: English line has Chinese text: {en!r}"
