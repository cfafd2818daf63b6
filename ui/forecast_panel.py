"""Layout shared by the market and intelligent-compute pages: one forecast section, the scenario comparison."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis import market, market_charts
from analysis.format import display_unit, format_number
from analysis.market import SERIES, SETTING_NAMES, settings
from analysis.market_charts import MAX_COMPARED, scenario_display_name
from analysis.scenario import StoredScenarioInvalid
from analysis.tables import AlignedTable, aligned_table, figure_column_width_px
from analysis.textsafe import csv_safe_cell, escape_markdown, redact_paths
from analysis.userstore import ScenarioStore, StoreError, open_scenario_store, visible_names
from ui import scenario as scenario_state
from ui.auth import current_identity
from ui.choice import relabel
from ui.frame import Frame, frame_chart, frame_load, frame_view, interactive_section
from ui.later_panel import implied_cagr_control, later_sources
from ui.widgets import show_spec

CONTROLS_WIDTH, CHART_WIDTH = 1, 3
DEFAULT_COMPARED = 3


@interactive_section  # its sliders change its own chart, table and summary only
def forecast_section(frame: Frame, series_id: str, slug: str) -> None:
    """Sliders beside the chart, the year-by-year table under it, the derivation note last."""
    series = SERIES[series_id]
    st.subheader(frame.t(f"market.series.{series_id}"))
    controls, chart = st.columns([CONTROLS_WIDTH, CHART_WIDTH])
    with controls:
        unit = frame_load(frame, market.series_unit_row, series_id=series_id)
        factor, _ = display_unit(unit, frame.lang)
        for name in SETTING_NAMES:
            param = series.param(name)
            # The base value's slider speaks the chart's unit (USD bn, million units), not the store's.
            display = (factor, f"market.param.{param}_shown") if name == "base_value" else None
            scenario_state.param_widget(param, frame.lang, display=display)
        chosen = settings(series_id, frame.scenario)
        st.caption(
            frame.t(
                "market.settings_summary",
                base=format_number(chosen["base_value"], unit, frame.lang),
                base_year=chosen["base_year"],
                cagr=f"{chosen['cagr']:g}",
                horizon=chosen["horizon"],
            )
        )
        implied_cagr_control(frame, series_id)
    with chart:
        spec = frame_chart(frame, slug)
        st.markdown(f"**{spec.takeaway}**")
        show_spec(frame, spec)
    table = frame_load(frame, market.forecast_table_aligned, series_id=series_id, scenario=frame.scenario, lang=frame.lang)
    heading = frame.t("market.table_heading_unit", unit=table.unit) if table.unit else frame.t("market.table_heading")
    st.markdown(f"**{escape_markdown(heading)}**", help=frame.t("market.table_help"))
    show_table(table, key=f"table-{slug}")
    st.caption(frame_load(frame, market.series_note, series_id=series_id, lang=frame.lang))
    later_sources(frame, series_id)


def show_table(table: pd.DataFrame | AlignedTable, key: str) -> None:
    """A year table right-aligned as `analysis.tables.aligned_table` formats it (pass it pre-formatted when it
    comes from a cache, so a rerun does not format it again)."""
    aligned = table if isinstance(table, AlignedTable) else aligned_table(table)
    # On a phone the year stays in view while the figures scroll sideways under it; each figure column is as
    # wide as its figures, under a short label where the table has one (the full header is its tooltip).
    year = aligned.shown.columns[0]
    config = {year: st.column_config.Column(aligned.labels.get(year), pinned=True)}
    for column in aligned.numeric_columns:
        width = figure_column_width_px(aligned, column)
        label = aligned.labels.get(column)
        config[column] = st.column_config.TextColumn(label, alignment="right", width=width, help=column)
    st.dataframe(aligned.shown, hide_index=True, width="stretch", key=key, column_config=config)


def _saved_scenarios(frame: Frame) -> tuple[ScenarioStore, list[str]] | None:
    store = open_scenario_store()
    try:
        return store, visible_names(store, current_identity())
    except StoreError as exc:
        st.error(frame.t("market.compare.store_unreadable", detail=escape_markdown(redact_paths(exc))))
        return None


@interactive_section
def scenario_comparison(frame: Frame, series_ids: tuple[str, ...]) -> None:
    """Saved scenarios side by side: their lines over the report's points, and a table of settings and values."""
    st.subheader(frame.t("market.compare.heading"))
    st.caption(frame.t("market.compare.intro"))
    found = _saved_scenarios(frame)
    if found is None:
        return
    store, names = found
    left, right = st.columns([3, 1])
    relabel("market.compare.pick", frame.lang, names, default=names[:DEFAULT_COMPARED])
    chosen = left.multiselect(
        frame.t("market.compare.pick"),
        options=names,
        max_selections=MAX_COMPARED,
        format_func=lambda n: scenario_display_name(n, frame.lang),
        key="market.compare.pick",
        help=frame.t("market.compare.pick_help"),
    )
    series_id = series_ids[0]
    if len(series_ids) > 1:
        relabel("market.compare.series", frame.lang, series_ids)
        series_id = right.selectbox(
            frame.t("market.compare.series"),
            options=list(series_ids),
            format_func=lambda s: frame.t(f"market.series.{s}"),
            key="market.compare.series",
        )
    scenarios = {}
    for name in chosen:
        try:
            scenarios[name] = store.load(name)
        except (KeyError, StoreError) as exc:
            st.warning(
                frame.t("market.compare.load_failed", name=escape_markdown(name), detail=escape_markdown(redact_paths(exc)))
            )
        except StoredScenarioInvalid as exc:  # reported and left out, so it cannot break the section for everyone
            st.warning(f"{frame.t('market.compare.stored_invalid', name=escape_markdown(name))}\n\n{exc.markdown(frame.lang)}")
    if not scenarios:
        st.info(frame.t("market.compare.none"))
        return
    bands = bool(frame.scenario.get("phase_bands"))
    # frame_view: built once per key and shown as it is (frame_load's st.cache_data unpickled a copy on every rerun).
    spec = frame_view(
        frame, market_charts.compare_chart, series_id=series_id, scenarios=scenarios, lang=frame.lang, phase_bands=bands
    )
    if spec.takeaway:  # it quotes a saved scenario's name, which anyone could have chosen
        st.markdown(f"**{escape_markdown(spec.takeaway)}**")
    show_spec(frame, spec)
    table = frame_load(frame, market_charts.compare_table, series_id=series_id, scenarios=scenarios, lang=frame.lang)
    # One column per saved scenario, headed by its name: anyone's text, so the grid's CSV download gets it guarded.
    st.dataframe(_guarded_headers(table), hide_index=True, width="stretch", key=f"table-compare-{series_id}")


def _guarded_headers(table: pd.DataFrame) -> pd.DataFrame:
    """Column names that cannot start a formula, still distinct ("=x" guarded is "'=x", which may be taken)."""
    names: list[str] = []
    for column in table.columns:
        name = str(csv_safe_cell(column))
        while name in names:
            name += "\u00a0"  # a no-break space: looks the same, keeps the columns apart
        names.append(name)
    return table.set_axis(names, axis="columns")
