"""Figures: every number of the report (and any imported ones) with unit, kind and source; filter and download."""

from functools import partial

import streamlit as st

from analysis import data, explorer, imports
from analysis.explorer import explore, metric_definitions, parquet_bytes, source_options, year_options
from analysis.schema import KINDS, ORIGINS
from analysis.tables import figures_export, guarded_figures_display
from ui.choice import relabel
from ui.frame import connection, frame_load, interactive_section, page_frame
from ui.widgets import csv_bytes

frame = page_frame("figures")
st.title(frame.t("page.figures.title"))
st.caption(frame.t("page.figures.summary"))


# The filters change the table, its count, the downloads and the definitions: all of the page below its title.
@interactive_section
def explorer_section() -> None:
    revision = imports.revision()
    top_left, top_middle, top_right = st.columns([2, 1, 1])
    layer = frame.param("imports_layer", container=top_right)
    all_figures = frame_load(frame, imports.figures_with_imports, layer=layer, revision=revision)
    metric_names = dict(zip(all_figures["metric"], all_figures[f"metric_{frame.lang}"], strict=False))
    sources = source_options(all_figures, frame.lang)

    relabel("metric", frame.lang, metric_names)
    chosen_metrics = top_left.multiselect(
        frame.t("figures.filter_metric"),
        options=sorted(metric_names, key=metric_names.get),
        format_func=metric_names.get,
        key="metric",
        placeholder=frame.t("figures.all"),
        help=frame.t("figures.filter_metric_help"),
    )
    relabel("kind", frame.lang, KINDS)
    chosen_kinds = top_middle.multiselect(
        frame.t("figures.filter_kind"),
        options=list(KINDS),
        format_func=lambda k: frame.t(f"kind.{k}"),
        key="kind",
        placeholder=frame.t("figures.all"),
        help=frame.t("figures.filter_kind_help"),
    )
    left, middle, right = st.columns([2, 1, 1])
    relabel("source", frame.lang, sources)
    chosen_sources = left.multiselect(
        frame.t("explorer.filter_source"),
        options=list(sources),
        format_func=sources.get,
        key="source",
        placeholder=frame.t("figures.all"),
        help=frame.t("explorer.filter_source_help"),
    )
    chosen_years = middle.multiselect(
        frame.t("explorer.filter_year"),
        options=year_options(all_figures),
        key="year",
        placeholder=frame.t("figures.all"),
        help=frame.t("explorer.filter_year_help"),
    )
    relabel("origin", frame.lang, [*ORIGINS, imports.IMPORTED_ORIGIN])
    chosen_origins = right.multiselect(
        frame.t("figures.filter_origin"),
        options=[*ORIGINS, imports.IMPORTED_ORIGIN],
        format_func=lambda o: frame.t(f"origin.{o}"),
        key="origin",
        placeholder=frame.t("figures.all"),
        help=frame.t("explorer.filter_origin_help"),
    )
    search = st.text_input(frame.t("figures.search"), key="q", placeholder=frame.t("figures.search_placeholder"))

    shown = explore(
        all_figures,
        metrics=chosen_metrics,
        kinds=chosen_kinds,
        origins=chosen_origins,
        source_ids=chosen_sources,
        years=chosen_years,
        search=search,
    )
    st.caption(frame.t("figures.count", shown=len(shown), total=len(all_figures)))
    if shown.empty:
        st.info(frame.t("figures.none"))
    else:
        st.dataframe(guarded_figures_display(shown, frame.lang), hide_index=True, width="stretch")

    export = figures_export(shown)
    csv_col, parquet_col, all_col = st.columns(3)
    csv_col.download_button(
        frame.t("figures.download"),
        data=partial(csv_bytes, export),
        file_name=f"compute-atlas_figures_{frame.lang}.csv",
        mime="text/csv",
        icon=":material/download:",
        disabled=shown.empty,
        key="download-figures",
        on_click="ignore",
    )
    parquet_col.download_button(
        frame.t("explorer.download_parquet"),
        data=lambda: parquet_bytes(export),
        file_name="compute-atlas_figures.parquet",
        mime="application/vnd.apache.parquet",
        icon=":material/download:",
        disabled=shown.empty,
        key="download-figures-parquet",
        on_click="ignore",
    )
    all_col.download_button(
        frame.t("explorer.download_all"),
        data=partial(explorer.database_archive, connection(frame.status), revision=revision),
        file_name="compute-atlas_all-tables_parquet.zip",
        mime="application/zip",
        icon=":material/folder_zip:",
        help=frame.t("explorer.download_all_help"),
        key="download-all-parquet",
        on_click="ignore",
    )

    if not shown.empty:
        with st.expander(frame.t("explorer.definitions", count=shown["metric"].nunique()), icon=":material/menu_book:"):
            metrics, units = frame_load(frame, data.metrics), frame_load(frame, data.units)
            st.markdown(metric_definitions(metrics[metrics["metric_id"].isin(shown["metric"])], units, frame.lang))
    st.page_link(
        "pages/sources.py",
        label=frame.t("explorer.dictionary_link"),
        icon=":material/arrow_forward:",
        query_params=frame.nav_params,
    )
    st.caption(frame.t("figures.kinds_help"))


explorer_section()
