"""The industry map: its tables against the report, the queries behind the two pages, and the two charts.

Expected companies, headings and numbers are copied from the report 《AIGC算力全景与趋势报告》 (QbitAI Think
Tank, 2023); each test names the slide it comes from.
"""

from __future__ import annotations

import re

import pytest

from analysis import industry
from analysis.chartspec import chart_def
from analysis.i18n import LANGS, catalog
from ui.industry import md

# The report's company section, heading by heading, plus the two worked examples the issue names:
# 「以微软为例」 (the chain slide) and 「国外：英伟达DGX Cloud模式」 (趋势05).
COMPANY_CASES = {
    "alibaba": "阿里巴巴",
    "baidu": "百度",
    "tencent": "腾讯",
    "huawei": "华为",
    "sugon": "中科曙光",
    "moffett": "墨芯人工智能",
    "iluvatar": "天数智芯",
    "moore_threads": "摩尔线程",
    "seetaas": "视拓云",
    "yizhu": "亿铸科技",
    "tsingmicro": "清微智能",
    "microsoft": "微软",
    "nvidia": "英伟达",
}
ELISION = "……"


@pytest.fixture(scope="module")
def report_flat(report_text: str) -> str:
    # Slides were extracted with line breaks inside sentences: compare without whitespace.
    return re.sub(r"\s+", "", report_text)


def _rows(con, sql: str, params=()) -> list[dict]:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _occurs(text: str, report_flat: str) -> bool:
    return all(re.sub(r"\s+", "", part) in report_flat for part in text.split(ELISION))


# ---------------------------------------------------------------- the tables against the report


@pytest.mark.parametrize("player_id, printed_name", COMPANY_CASES.items())
def test_every_company_of_the_report_has_a_profile_with_a_sourced_fact(db_con, report_flat, player_id, printed_name):
    assert printed_name in report_flat, "the expected company list itself must come from the report"
    players = _rows(db_con, "SELECT * FROM players WHERE player_id = ?", [player_id])
    assert len(players) == 1
    assert printed_name in players[0]["name_zh"] + players[0]["case_heading"]
    facts = _rows(
        db_con,
        """SELECT c.*, s.origin FROM player_claims c JOIN sources s ON s.source_id = c.source_id
           WHERE c.player_id = ? AND s.origin = 'report'""",
        [player_id],
    )
    assert facts, f"{player_id} has no claim sourced to the report"


def test_the_profiles_are_exactly_the_company_cases(db_con):
    ids = [r["player_id"] for r in _rows(db_con, "SELECT player_id FROM players ORDER BY sort_order")]
    assert ids == list(COMPANY_CASES)


def test_every_company_case_figure_is_a_claim_of_some_player(db_con):
    unclaimed = _rows(
        db_con,
        """SELECT figure_id FROM figures WHERE source_id LIKE 'co\\_%' ESCAPE '\\'
           AND figure_id NOT IN (SELECT figure_id FROM player_claims WHERE figure_id IS NOT NULL)""",
    )
    assert unclaimed == []


@pytest.mark.parametrize("table", ["player_claims", "chain_items"])
def test_each_claim_is_a_figure_or_a_text_never_both(db_con, table):
    rows = _rows(db_con, f"SELECT * FROM {table}")  # table names come from the parametrisation, not from input
    assert rows
    for row in rows:
        has_figure, has_text = row["figure_id"] is not None, row["text_zh"] is not None
        assert has_figure != has_text, row
        if has_text:
            assert row["text_en"], row


@pytest.mark.parametrize("table", ["player_claims", "chain_items"])
def test_a_figure_claim_cites_the_figures_own_source(db_con, table):
    mismatched = _rows(
        db_con,
        f"SELECT c.figure_id, c.source_id, f.source_id AS figure_source FROM {table} c "
        "JOIN figures f ON f.figure_id = c.figure_id WHERE c.source_id <> f.source_id",
    )
    assert mismatched == []


@pytest.mark.parametrize(
    "table, column",
    [("player_claims", "text_zh"), ("chain_items", "text_zh"), ("players", "summary_zh"), ("players", "case_heading")],
)
def test_printed_texts_occur_in_the_report(db_con, report_flat, table, column):
    texts = [r["t"] for r in _rows(db_con, f"SELECT {column} AS t FROM {table} WHERE {column} IS NOT NULL")]
    assert texts
    missing = [text for text in texts if not _occurs(text, report_flat)]
    assert missing == []


def test_occurrence_check_is_strict(report_flat):
    # Guards the provenance test's matcher: an invented claim must not pass.
    assert _occurs("单任务集群规模可达万卡GPU", report_flat)
    assert not _occurs("单任务集群规模可达十万卡GPU", report_flat)
    assert not _occurs("全球首家……出货量第二", report_flat)


def test_editorial_placements_say_why(db_con):
    unexplained = _rows(
        db_con,
        "SELECT player_id, product_order FROM player_products WHERE placement_source_id = ? AND note IS NULL",
        ["supp_editorial_placement"],
    )
    assert unexplained == []


def test_a_placed_product_has_a_placement_source(db_con):
    missing = _rows(
        db_con,
        """SELECT player_id, product_order FROM player_products
           WHERE (node_id IS NOT NULL OR route_id IS NOT NULL) AND placement_source_id IS NULL""",
    )
    assert missing == []


def test_routes_cover_both_main_routes_and_every_newer_one(db_con):
    routes = _rows(db_con, "SELECT * FROM routes")
    main = {r["route_id"] for r in routes if r["family"] == "main"}
    assert main == {r["route_id"] for r in _rows(db_con, "SELECT DISTINCT route_id FROM chip_routes")}
    newer = [r for r in routes if r["family"] == "new"]
    assert all(r["arch_id"] for r in newer)
    # 趋势01's table plus the CGRA case; reram_cim is Yizhu's variant of compute-in-memory.
    named = {r["arch_id"] for r in _rows(db_con, "SELECT arch_id FROM new_architectures")} - {"reram_cim"}
    assert {r["arch_id"] for r in newer} == named


# ---------------------------------------------------------------- the value-chain chart


@pytest.mark.parametrize("lang", LANGS)
def test_every_node_of_the_value_chain_chart_is_a_database_row(db_con, lang):
    spec = chart_def("industry-value-chain").build(db_con, {}, lang)
    trace = spec.figure.data[0]
    ids, parents = list(trace.ids), list(trace.parents)
    rows = {r["node_id"]: r for r in _rows(db_con, "SELECT node_id, parent_id FROM value_chain")}
    root = _rows(db_con, "SELECT source_id FROM sources WHERE source_id = ?", [industry.PANORAMA_SOURCE_ID])
    assert len(root) == 1
    assert set(ids) == set(rows) | {industry.PANORAMA_SOURCE_ID}
    assert len(ids) == len(set(ids)) == len(rows) + 1
    for node_id, parent in zip(ids, parents, strict=True):
        if node_id == industry.PANORAMA_SOURCE_ID:
            assert parent == ""
        else:
            assert parent == (rows[node_id]["parent_id"] or industry.PANORAMA_SOURCE_ID), node_id
    assert spec.native is None, "a hierarchy goes into a deck as an image"


def test_the_chosen_node_is_outlined_and_the_rest_of_the_chart_faded(db_con):
    from analysis.chart_layout import SCREEN, lay_out
    from analysis.industry_charts import PICKED_LINE_PX, highlight_node

    screen = lay_out(chart_def("industry-value-chain").build(db_con, {}, "en").figure, SCREEN).figure
    before = screen.to_json()
    picked = highlight_node(screen, "gpu")
    assert screen.to_json() == before  # a copy: the shared screen figure is never changed
    trace = picked.data[0]
    ids, colours = list(trace.ids), list(trace.marker.colors)
    lines, chosen = list(trace.marker.line.color), ids.index("gpu")
    assert trace.marker.line.width == PICKED_LINE_PX > screen.data[0].marker.line.width
    assert lines[chosen] != "white" and {c for i, c in enumerate(lines) if i != chosen} == {"white"}
    assert trace.meta["picked"] == "gpu"
    original = dict(zip(ids, screen.data[0].marker.colors, strict=True))
    kept = {i for i, c in zip(ids, colours, strict=True) if c == original[i]}
    # gpu and the boxes it lies under (general-purpose chips, compute chips, the root) keep their colour; none beside it
    assert kept == {"gpu", "general_purpose_chips", "compute_chips", industry.PANORAMA_SOURCE_ID}
    # the root (the whole chart) or an unknown id: nothing to pick out
    assert highlight_node(screen, industry.PANORAMA_SOURCE_ID) is screen
    assert highlight_node(screen, "no_such_node") is screen and highlight_node(screen, None) is screen


def test_value_chain_counts_distinct_companies(db_con):
    nodes = industry.value_chain(db_con).set_index("node_id")
    # Hand count from player_products: cloud platforms hold Alibaba, Baidu, Tencent, Huawei, Sugon,
    # SeeTaaS, Microsoft and NVIDIA; storage chips none (the company cases name no memory products).
    assert nodes.loc["cloud_platforms", "player_count"] == 8
    assert nodes.loc["storage_chips", "player_count"] == 0
    assert nodes.loc["compute_chips", "player_count"] >= nodes.loc["gpu", "player_count"] + 1
    assert industry.placed_player_count(db_con) == len(COMPANY_CASES)


def test_node_choices_list_the_tree_root_first(db_con):
    choices = industry.node_choices(db_con, "en")
    assert next(iter(choices)) == industry.PANORAMA_SOURCE_ID
    assert list(choices).index("gpu") > list(choices).index("general_purpose_chips") > list(choices).index("compute_chips")
    assert choices["gpu"].strip() == "GPU" and choices["gpu"] != "GPU"  # indented under its category


# ---------------------------------------------------------------- filters and panels


@pytest.mark.parametrize(
    "layer, route, expected",
    [
        (None, None, list(COMPANY_CASES)),
        ("server_vendors", None, ["baidu", "tencent", "sugon", "nvidia"]),
        (None, "asic", ["baidu", "huawei", "microsoft"]),
        # Same product on both: Microsoft's GPU cluster is a cloud product, its Athena chip is ASIC.
        ("compute_chips", "gpu", ["iluvatar", "moore_threads", "nvidia"]),
        (None, "rdma_interconnect", ["tencent"]),
        ("storage_chips", None, []),
        (None, "gpu_interconnect", []),
    ],
)
def test_filter_players_by_layer_and_route(db_con, layer, route, expected):
    assert industry.filter_player_ids(industry.products(db_con), layer=layer, route=route) == expected


def test_profiles_reject_an_unknown_filter(db_con):
    with pytest.raises(ValueError, match="unknown layer 'nope'"):
        industry.profiles(db_con, layer="nope")
    with pytest.raises(ValueError, match="unknown route 'nope'"):
        industry.profiles(db_con, route="nope")


@pytest.mark.parametrize("lang", LANGS)
def test_profile_cards_carry_value_source_and_ambiguity(db_con, lang):
    profiles = {p["player_id"]: p for p in industry.profiles(db_con, lang=lang)}
    baidu = {c["figure_id"]: c for c in profiles["baidu"]["claims"] if c["kind"] == "figure"}
    # 「百度」 prints 90%+ 100%+ 70%+ with labels whose pairing is uncertain: the card must say so.
    assert ("对应关系存疑" if lang == "zh" else "pairing") in baidu["baidu_claim_90"]["note"]
    assert baidu["baidu_claim_90"]["printed"] == "90%+"
    assert all(c["source"] for p in profiles.values() for c in p["claims"])
    moore = profiles["moore_threads"]["claims"]
    assert [c["kind"] for c in moore] == ["text"] * len(moore)
    assert "第一款" in moore[0]["note"]


def test_node_detail_for_a_chip_type(db_con):
    detail = industry.node_detail(db_con, "gpu", "en")
    assert detail["route_id"] == "gpu"
    assert detail["layer_id"] == "compute_chips"
    assert list(dict.fromkeys(p["player_id"] for p in detail["products"])) == ["iluvatar", "moore_threads", "nvidia"]
    assert detail["chain"]["link_id"] == "chip"


def test_node_detail_for_the_root_lists_every_layer(db_con):
    detail = industry.node_detail(db_con, industry.PANORAMA_SOURCE_ID, "zh")
    layers = _rows(db_con, "SELECT node_id FROM value_chain WHERE level = 1 ORDER BY sort_order")
    assert [x["layer_id"] for x in detail["layers"]] == [r["node_id"] for r in layers]
    with pytest.raises(ValueError, match="unknown value-chain node 'nope'"):
        industry.node_detail(db_con, "nope", "zh")


def test_node_detail_shows_the_editorial_attribution(db_con):
    detail = industry.node_detail(db_con, "tongyi_qianwen", "en")
    assert detail["attribution"]["company"] == "Alibaba Cloud"
    assert "supplementary" in detail["attribution"]["source"]


# ---------------------------------------------------------------- the chain


def test_chain_links_in_the_reports_order(db_con):
    links = industry.chain_cards(db_con, "zh")
    # 「AIGC算力现状链路：芯片—服务器—云平台—模型应用」
    assert [link["name"] for link in links] == ["芯片", "服务器", "云平台", "模型应用"]
    assert all(link["cards"] for link in links)
    count = links[-1]["cards"][0]
    maas = _rows(db_con, "SELECT name_zh FROM value_chain WHERE parent_id = 'maas' AND node_type = 'product'")
    assert count["value"] == catalog("zh")["industry.chain.maas_count"].format(count=len(maas))
    assert "通义千问" in count["printed"] and "混元" in count["printed"]
    chip_values = [c["value"] for c in links[0]["cards"] if c["kind"] == "figure"]
    assert "最高 50–83%" in chip_values  # printed 高达 50%～83% (qualifier up_to)


# ---------------------------------------------------------------- translations and display


@pytest.mark.parametrize("lang", LANGS)
def test_dynamic_industry_families_are_complete(db_con, lang):
    families = {
        "industry.node_type": {r["v"] for r in _rows(db_con, "SELECT DISTINCT node_type AS v FROM value_chain")} | {"root"},
        "industry.level": {r["v"] for r in _rows(db_con, "SELECT DISTINCT level AS v FROM new_architectures")},
        "industry.aspect": {r["v"] for r in _rows(db_con, "SELECT DISTINCT aspect AS v FROM chip_routes")},
    }
    missing = [
        f"{family}.{v}" for family, values in families.items() for v in sorted(values) if f"{family}.{v}" not in catalog(lang)
    ]
    assert missing == []


@pytest.mark.parametrize(
    "raw, shown", [("~1100万美元/月", "\\~1100万美元/月"), ("$5 and $6", "\\$5 and \\$6"), ("a*b_c", "a\\*b\\_c")]
)
def test_data_text_is_escaped_for_markdown(raw, shown):
    assert md(raw) == shown
