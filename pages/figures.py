"""Figures: every number of the report with its unit, kind and source; filter and download."""

import streamlit as st

from analysis.schema import KINDS, ORIGINS
from analysis.tables import figures_display, figures_export, filter_figures
from ui.frame import frame_load, page_frame
from ui.widgets import csv_bytes

frame = page_frame("figures")
st.title(frame.t("page.figures.title"))
st.caption(frame.t("page.figures.summary"))

all_figures = frame_load(frame, "figures")
metric_names = dict(zip(all_figures["metric"], all_figures[f"metric_{frame.lang}"], strict=False))

left, middle, right = st.columns([2, 1, 1])
chosen_metrics = left.multiselect(
    frame.t("figures.filter_metric"),
    options=sorted(metric_names, key=metric_names.get),
    format_func=metric_names.get,
    key="metric",
    placeholder=frame.t("figures.all"),
    help=frame.t("figures.filter_metric_help"),
)
chosen_kinds = middle.multiselect(
    frame.t("figures.filter_kind"),
    options=list(KINDS),
    format_func=lambda k: frame.t(f"kind.{k}"),
    key="kind",
    placeholder=frame.t("figures.all"),
    help=frame.t("figures.filter_kind_help"),
)
chosen_origins = right.multiselect(
    frame.t("figures.filter_origin"),
    options=list(ORIGINS),
    format_func=lambda o: frame.t(f"origin.{o}"),
    key="origin",
    placeholder=frame.t("figures.all"),
)
search = st.text_input(frame.t("figures.search"), key="q", placeholder=frame.t("figures.search_placeholder"))

shown = filter_figures(all_figures, metrics=chosen_metrics, kinds=chosen_kinds, origins=chosen_origins, search=search)
st.caption(frame.t("figures.count", shown=len(shown), total=len(all_figures)))
if shown.empty:
    st.info(frame.t("figures.none"))
else:
    st.dataframe(figures_display(shown, frame.lang), hide_index=True, width="stretch")
st.download_button(
    frame.t("figures.download"),
    data=csv_bytes(figures_export(shown)),
    file_name=f"compute-atlas_figures_{frame.lang}.csv",
    mime="text/csv",
    icon=":material/download:",
    disabled=shown.empty,
    key="download-figures",
)
st.caption(frame.t("figures.kinds_help"))
