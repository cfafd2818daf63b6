"""The tables of datasets/: columns, types, keys and allowed values.

One declaration drives CSV validation, the DuckDB DDL and the data dictionary shown in the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("reported", "forecast", "estimate", "derived", "editorial")
QUALIFIERS = (
    "none",
    "approx",
    "nearly",
    "more_than",
    "at_least",
    "at_most",
    "up_to",
    "order_of_magnitude",
)
ORIGINS = ("report", "supplementary", "derived")  # derived: our arithmetic on printed figures, never printed itself
# Later figures (published after the report) describe a year that had ended (reported), was running (estimate)
# or had not yet come (forecast); every one of them is supplementary, never the report's own.
LATER_KINDS = ("reported", "estimate", "forecast")
UNKNOWN_DATE = "unknown"  # a later figure's edition or page date that its page does not state: recorded, never inferred


def later_kind_by_rule(period: str | None, date: str | None) -> str | None:
    """The kind the rule above gives a figure for the whole year `period`, released on `date` (YYYY[-MM[-DD]]):
    before the year "forecast", during it "estimate", after it "reported". None when the period is not a
    whole year or the date is unknown, so the rule cannot be applied."""
    if not period or not date or date == UNKNOWN_DATE or not (period.isdigit() and len(period) == 4):
        return None
    year, released = int(period), int(date[:4])
    return "forecast" if released < year else "estimate" if released == year else "reported"


LATER_ORIGINS = ("supplementary",)
# comparable: the same definition as the report's series; definitional_break: the publisher's own series changed
# scale or scope; different_method: another publisher's or another method's measure of the same quantity;
# rebased: a later edition whose figures imply a base that the publisher's own earlier figures contradict (the
# arithmetic is in its note). Only comparable rows are scored or offered as an implied CAGR.
COMPARABILITY = ("comparable", "definitional_break", "different_method", "rebased")
SPLIT_TOTAL_PERCENT = 100.0
SPLIT_TOLERANCE_PERCENT = 0.1


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "text"  # text | float | int | bool
    required: bool = False
    choices: tuple[str, ...] = ()
    references: str = ""  # "table.column"; empty values are not checked
    min_value: float | None = None
    max_value: float | None = None


@dataclass(frozen=True)
class Table:
    name: str
    key: str
    columns: tuple[Column, ...]
    description: str = ""
    optional_file: bool = False
    unique_together: tuple[str, ...] = field(default_factory=tuple)

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _text(name, **kw):
    return Column(name, "text", **kw)


def _req(name, **kw):
    return Column(name, "text", required=True, **kw)


def _float(name, **kw):
    return Column(name, "float", **kw)


_LAT = dict(min_value=-90, max_value=90)
_LON = dict(min_value=-180, max_value=180)

TABLES: tuple[Table, ...] = (
    Table(
        "units",
        "unit_id",
        (
            _req("unit_id"),
            _req("dimension"),
            _req("name_zh"),
            _req("name_en"),
            _req("symbol"),
            _float("to_dimension_base", min_value=0),
            _text("note"),
            _req("format_zh"),
            _req("format_en"),
            _float("en_scale", required=True, min_value=0),
        ),
        "Units of measure, how to convert them and how to print them",
    ),
    Table(
        "sources",
        "source_id",
        (
            _req("source_id"),
            _req("producer_zh"),
            _req("producer_en"),
            _req("title"),
            # Our own titles are written in Chinese with an English version here; a publication's own
            # title (a datasheet, a paper) stays as published and this is left blank.
            _text("title_en"),
            _text("report_section"),
            Column("published_year", "int", required=True, min_value=1990, max_value=2100),
            _req("origin", choices=ORIGINS),
            _req("citation"),
            _text("accessed"),
            _text("note"),
        ),
        "Who produced each figure and where the report prints it",
    ),
    Table(
        "metrics",
        "metric_id",
        (
            _req("metric_id"),
            _req("name_zh"),
            _req("name_en"),
            _req("unit", references="units.unit_id"),
            Column("sums_to_100", "bool", required=True),
            _req("definition_zh"),
            _req("definition_en"),
        ),
        "The metric dictionary",
    ),
    Table(
        "entities",
        "entity_id",
        (
            _req("entity_id"),
            _req("entity_type"),
            _req("name_zh"),
            _req("name_en"),
            _text("note"),
        ),
        "Regions, companies, models and products the figures describe",
    ),
    Table(
        "figures",
        "figure_id",
        (
            _req("figure_id"),
            _req("metric", references="metrics.metric_id"),
            _req("entity", references="entities.entity_id"),
            _text("segment"),
            _text("period"),
            _float("value"),
            _float("value_low"),
            _float("value_high"),
            _req("unit", references="units.unit_id"),
            _req("qualifier", choices=QUALIFIERS),
            _req("printed"),
            _req("kind", choices=KINDS),
            _req("source_id", references="sources.source_id"),
            _text("note"),
        ),
        "Every quantitative figure of the report, one row per number",
    ),
    Table(
        "later_figures",
        "later_id",
        (
            _req("later_id"),
            _req("metric", references="metrics.metric_id"),
            _req("entity", references="entities.entity_id"),
            _text("segment"),
            _req("period"),
            _float("value"),
            _float("value_low"),
            _float("value_high"),
            _req("unit", references="units.unit_id"),
            _req("qualifier", choices=QUALIFIERS),
            _req("printed"),  # the number exactly as it appears in `quote`
            _req("kind", choices=LATER_KINDS),
            _req("publisher_zh"),
            _req("publisher_en"),
            _req("document"),
            _req("edition"),  # when the publisher released this view (YYYY, YYYY-MM or YYYY-MM-DD): the forecast's vintage
            _req("published_on"),  # the date of the page the figure was read on
            _req("url"),
            _req("quote"),
            _req("comparability", choices=COMPARABILITY),
            Column("secondary", "bool", required=True),
            _req("origin", choices=LATER_ORIGINS),
            _text("accessed"),
            _text("note"),
        ),
        "Figures published after the report for its series, each with its page, date and a verbatim quote",
    ),
    Table(
        "dsxs_nodes",
        "node_id",
        (
            _req("node_id"),
            _req("node_type", choices=("hub", "cluster")),
            _req("name_zh"),
            _req("name_en"),
            _text("parent_hub_id", references="dsxs_nodes.node_id"),
            _text("parent_source_id", references="sources.source_id"),
            _text("province_zh"),
            _text("province_en"),
            _text("region_group", choices=("east", "west")),
            _text("region_group_source_id", references="sources.source_id"),
            _float("lat", **_LAT),
            _float("lon", **_LON),
            _text("coord_source_id", references="sources.source_id"),
            _req("source_id", references="sources.source_id"),
            _text("note"),
        ),
        "East-Data-West-Computing (东数西算) hubs and clusters",
    ),
    Table(
        "computing_centres",
        "centre_id",
        (
            _req("centre_id"),
            _req("name_zh"),
            _req("name_en"),
            _text("operator_zh"),
            _text("operator_en"),
            _text("operator_source_id", references="sources.source_id"),
            _text("city_zh"),
            _text("city_en"),
            _text("province_zh"),
            _text("province_en"),
            _text("location_source_id", references="sources.source_id"),
            _float("lat", **_LAT),
            _float("lon", **_LON),
            _text("coord_source_id", references="sources.source_id"),
            _req("source_id", references="sources.source_id"),
            _text("note"),
        ),
        "Intelligent computing centres named in the report",
    ),
    Table(
        "icc_cities",
        "city_id",
        (
            _req("city_id"),
            Column("list_order", "int", required=True, min_value=1),
            _req("name_zh"),
            _req("name_en"),
            _text("admin_level_as_printed"),
            _text("province_zh"),
            _text("province_en"),
            _float("lat", **_LAT),
            _float("lon", **_LON),
            _text("coord_source_id", references="sources.source_id"),
            _req("source_id", references="sources.source_id"),
            _text("note"),
        ),
        "Places listed as hosting intelligent computing centres",
    ),
    Table(
        "value_chain",
        "node_id",
        (
            _req("node_id"),
            _text("parent_id", references="value_chain.node_id"),
            Column("level", "int", required=True, min_value=1, max_value=5),
            Column("sort_order", "int", required=True),
            _req("name_zh"),
            _req("name_en"),
            _req("node_type"),
            _text("company_zh"),
            _text("company_en"),
            _text("company_source_id", references="sources.source_id"),
            _req("source_id", references="sources.source_id"),
            _text("note"),
        ),
        "The industry value chain (产业全景图) as a tree",
    ),
    Table(
        "chip_routes",
        "",
        (
            _req("route_id", choices=("gpu", "asic")),
            _req("aspect"),
            Column("item_order", "int", required=True),
            _req("text_zh"),
            _req("text_en"),
            _req("source_id", references="sources.source_id"),
            _text("note"),
        ),
        "GPU (general) vs ASIC (specialised) chip routes",
        unique_together=("route_id", "aspect", "item_order"),
    ),
    Table(
        "new_architectures",
        "arch_id",
        (
            _req("arch_id"),
            _req("level"),
            _text("player_type_zh"),
            _text("player_type_en"),
            _req("name_zh"),
            _req("name_en"),
            _text("mechanism_zh"),
            _text("mechanism_en"),
            _text("companies_zh"),
            _text("companies_en"),
            _req("source_id", references="sources.source_id"),
            _text("note"),
        ),
        "Newer compute architectures and the companies named for each",
    ),
    Table(
        "trends",
        "trend_no",
        (
            Column("trend_no", "int", required=True, min_value=1),
            _req("title_zh"),
            _req("title_en"),
            _req("short_zh"),
            _req("short_en"),
            _text("companies_zh"),
            _text("companies_en"),
            _req("source_id", references="sources.source_id"),
            _text("note"),
        ),
        "The report's five trends",
    ),
    Table(
        "phases",
        "phase_id",
        (
            _req("phase_id"),
            Column("phase_order", "int", required=True, min_value=1),
            _req("name_zh"),
            _req("name_en"),
            _req("years_as_printed"),
            Column("start_year", "int", min_value=2000, max_value=2100),
            Column("end_year", "int", min_value=2000, max_value=2100),
            _text("horizon_as_printed"),
            _text("horizon_note_as_printed"),
            _req("source_id", references="sources.source_id"),
            _text("note"),
        ),
        "The three phases of the AIGC compute cycle",
    ),
    Table(
        "phase_items",
        "",
        (
            _req("phase_id", references="phases.phase_id"),
            _req("item_type"),
            Column("item_order", "int", required=True),
            _req("text_zh"),
            _req("text_en"),
            _req("source_id", references="sources.source_id"),
            _text("note"),
        ),
        "Beneficiaries, key points and competitive factors of each phase",
        unique_together=("phase_id", "item_type", "item_order"),
    ),
    Table(
        "cycle_matrix",
        "",
        (
            _req("phase_id", references="phases.phase_id"),
            _req("item_type"),
            Column("item_order", "int", required=True),
            _req("x_axis", choices=("technology", "business_model")),
            _float("demand_maturity_score", required=True, min_value=0, max_value=10),
            _float("x_maturity_score", required=True, min_value=0, max_value=10),
            _float("scale_score", required=True, min_value=0, max_value=10),
            _req("source_id", references="sources.source_id"),
            _text("note"),
        ),
        "Editorial maturity scores of the items in the report's phase bubble charts (0–10)",
        unique_together=("phase_id", "item_type", "item_order"),
    ),
    Table(
        "routes",
        "route_id",
        (
            _req("route_id"),
            _req("family", choices=("main", "new")),
            Column("sort_order", "int", required=True),
            _req("name_zh"),
            _req("name_en"),
            _text("arch_id", references="new_architectures.arch_id"),
            _req("source_id", references="sources.source_id"),
            _text("note"),
        ),
        "Chip technology routes: the two main routes (GPU, ASIC) and the newer architectures",
    ),
    Table(
        "players",
        "player_id",
        (
            _req("player_id"),
            Column("sort_order", "int", required=True),
            _req("name_zh"),
            _req("name_en"),
            _text("entity_id", references="entities.entity_id"),
            _req("case_heading"),
            _req("summary_zh"),
            _req("summary_en"),
            _req("source_id", references="sources.source_id"),
            _text("note"),
        ),
        "Companies profiled in the report's company section and its worked examples",
    ),
    Table(
        "player_products",
        "",
        (
            _req("player_id", references="players.player_id"),
            Column("product_order", "int", required=True, min_value=1),
            _req("name_zh"),
            _req("name_en"),
            _text("node_id", references="value_chain.node_id"),
            _text("route_id", references="routes.route_id"),
            _text("placement_source_id", references="sources.source_id"),
            _req("source_id", references="sources.source_id"),
            _text("note"),
        ),
        "Each player's products, placed in the value chain and on a chip route where the report allows",
        unique_together=("player_id", "product_order"),
    ),
    Table(
        "player_claims",
        "",
        (
            _req("player_id", references="players.player_id"),
            Column("claim_order", "int", required=True, min_value=1),
            _text("figure_id", references="figures.figure_id"),
            _text("text_zh"),
            _text("text_en"),
            _req("source_id", references="sources.source_id"),
            _text("note"),
        ),
        "Each player's claims: a figure (quantitative) or a short text as printed",
        unique_together=("player_id", "claim_order"),
    ),
    Table(
        "chain_links",
        "link_id",
        (
            _req("link_id"),
            Column("link_order", "int", required=True, min_value=1),
            _req("name_zh"),
            _req("name_en"),
            _req("node_id", references="value_chain.node_id"),
            _req("source_id", references="sources.source_id"),
            _text("note"),
        ),
        "The chain 芯片—服务器—云平台—模型应用 and the panorama layer of each link",
    ),
    Table(
        "chain_items",
        "",
        (
            _req("link_id", references="chain_links.link_id"),
            Column("item_order", "int", required=True, min_value=1),
            _text("figure_id", references="figures.figure_id"),
            _text("text_zh"),
            _text("text_en"),
            _req("source_id", references="sources.source_id"),
            _text("note"),
        ),
        "What the report says at each link of the chain: a figure or a short text as printed",
        unique_together=("link_id", "item_order"),
    ),
    Table(
        "region_members",
        "",
        (
            _req("entity_id", references="entities.entity_id"),
            Column("member_order", "int", required=True, min_value=1),
            _req("province_zh"),
            _req("province_en"),
            _req("source_id", references="sources.source_id"),
            _text("note"),
        ),
        "Provinces that make up a group of regions the report names (e.g. the top five server markets)",
        unique_together=("entity_id", "province_zh"),
    ),
    Table(
        "accelerators",
        "accelerator_id",
        (
            _req("accelerator_id"),
            _req("name_zh"),
            _req("name_en"),
            _req("vendor_zh"),
            _req("vendor_en"),
            _float("peak_dense_fp16_tflops", min_value=0),  # FP16/BF16 Tensor peak without sparsity; empty = unknown
            _float("peak_sparse_fp16_tflops", min_value=0),  # the vendor's "with sparsity" figure, where printed
            _float("memory_gb", min_value=0),
            _text("memory_type"),
            _text("interconnect"),
            _text("spec_source_id", references="sources.source_id"),  # where the specification comes from
            _text("report_source_id", references="sources.source_id"),  # where the report names the chip
            _text("note"),
        ),
        "Accelerator catalogue for the compute calculator: peak dense FP16/BF16 TFLOPS, memory, interconnect",
    ),
    Table(
        "note_translations",
        "",  # a note can be longer than a key may be; note_en is unique all the same
        (
            _req("note_en"),  # a `note` exactly as it stands in any table above (the English source text)
            _req("note_zh"),  # the same note in Chinese: the same figures, the same meaning
        ),
        "The Chinese text of every data note; the build fails when a note has none, or a translation has no note",
        unique_together=("note_en",),
    ),
)

# The tables' `note` column is written in English; note_translations gives each note its Chinese text.
NOTE_COLUMN = "note"

TABLES_BY_NAME = {t.name: t for t in TABLES}

SQL_TYPES = {"text": "VARCHAR", "float": "DOUBLE", "int": "INTEGER", "bool": "BOOLEAN"}
