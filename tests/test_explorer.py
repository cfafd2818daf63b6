"""The data explorer: year and source filters, Parquet downloads, metric definitions."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest
from import_rows import apply, csv_bytes, row

from analysis import explorer
from analysis.data import figures
from analysis.imports import figures_with_imports
from analysis.tables import figures_export


@pytest.fixture(autouse=True)
def store_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(tmp_path / "userdata"))
    return tmp_path / "userdata"


@pytest.mark.parametrize(
    "period, years",
    [
        ("2025", {2025}),
        ("2023-02", {2023}),
        ("2021-2026", {2021, 2022, 2023, 2024, 2025, 2026}),
        (None, set()),
        ("", set()),
        (float("nan"), set()),
        ("FY23", set()),
    ],
)
def test_period_years(period, years):
    assert explorer.period_years(period) == years


def test_year_filter_matches_periods_that_cover_the_year(db_con):
    all_figures = figures(db_con)
    shown = explorer.explore(all_figures, years=[2025])
    assert len(shown) > 0
    assert all(2025 in explorer.period_years(p) for p in shown["period"])
    # The 2021–2026 CAGR of China's intelligent compute covers 2025; a figure without a period does not.
    assert "cn_intelligent_compute_cagr" in set(shown["figure_id"])
    assert "gpt3_parameters" not in set(shown["figure_id"])
    assert 2018 in explorer.year_options(all_figures) and explorer.year_options(all_figures) == sorted(
        explorer.year_options(all_figures)
    )


def test_filters_combine(db_con):
    all_figures = figures(db_con)
    shown = explorer.explore(all_figures, source_ids=["idc_workload"], years=[2024], kinds=["forecast"])
    assert sorted(shown["figure_id"]) == ["cn_ai_server_workload_inference_2024", "cn_ai_server_workload_training_2024"]


def test_source_labels_name_producer_section_or_import_version(db_con):
    apply(db_con, csv_bytes([row()]), "2023 actuals")
    labels = explorer.source_options(figures_with_imports(db_con), "en")
    assert labels["import:v0001"] == "Test source, not a real publication (imported, 2023 actuals)"
    assert labels["idc_workload"].startswith("IDC") and "「" in labels["idc_workload"]
    assert list(labels.values()) == sorted(labels.values())
    shown = explorer.explore(figures_with_imports(db_con), origins=["imported"])
    assert list(shown["figure_id"]) == ["test_shipments_2023_actual"]


def test_parquet_round_trip_keeps_every_row_and_value(db_con):
    export = figures_export(figures(db_con))
    back = pd.read_parquet(io.BytesIO(explorer.parquet_bytes(export)))
    pd.testing.assert_frame_equal(back, export.reset_index(drop=True), check_dtype=False)


def test_all_tables_archive(db_con):
    apply(db_con, csv_bytes([row()]))
    archive = zipfile.ZipFile(io.BytesIO(explorer.database_archive(db_con)))
    names = set(archive.namelist())
    assert {"figures.parquet", "sources.parquet", "metrics.parquet", "build_info.parquet", "imported_figures.parquet"} <= names
    report = pd.read_parquet(archive.open("figures.parquet"))
    assert len(report) == len(figures(db_con))
    imported = pd.read_parquet(archive.open("imported_figures.parquet"))
    assert list(imported["figure_id"]) == ["test_shipments_2023_actual"] and list(imported["version"]) == ["v0001"]


def test_metric_definitions_are_markdown_safe():
    metrics = pd.DataFrame(
        [{"metric_id": "m", "name_en": "Share *of* [x]", "unit": "percent", "definition_en": "A_B `code` <b>"}]
    )
    units = pd.DataFrame([{"unit_id": "percent", "name_en": "percent"}])
    text = explorer.metric_definitions(metrics, units, "en")
    assert text == r"- **Share \*of\* \[x\]** (percent) `m`: A\_B \`code\` \<b\>"
