"""Sources and method: where every number comes from, the metric dictionary and the units."""

from functools import partial

import streamlit as st

from analysis import data
from analysis.tables import metrics_display, sources_display, units_display
from ui.frame import frame_load, page_frame
from ui.widgets import csv_bytes

frame = page_frame("sources")
st.title(frame.t("page.sources.title"))
st.caption(frame.t("page.sources.summary"))

sources = frame_load(frame, data.sources)
metrics = frame_load(frame, data.metrics)
units = frame_load(frame, data.units)

tab_sources, tab_metrics, tab_units, tab_method = st.tabs(
    [frame.t("sources.tab_sources"), frame.t("sources.tab_metrics"), frame.t("sources.tab_units"), frame.t("sources.tab_method")]
)
with tab_sources:
    report_count = int((sources["origin"] == "report").sum())
    st.caption(frame.t("sources.counts", report=report_count, supplementary=len(sources) - report_count))
    st.dataframe(sources_display(sources, frame.lang), hide_index=True, width="stretch")
    st.download_button(
        frame.t("sources.download"),
        partial(csv_bytes, sources),
        "compute-atlas_sources.csv",
        "text/csv",
        key="download-sources",
        on_click="ignore",
    )
with tab_metrics:
    st.dataframe(metrics_display(metrics, units, frame.lang), hide_index=True, width="stretch")
    st.download_button(
        frame.t("sources.download_metrics"),
        partial(csv_bytes, metrics),
        "compute-atlas_metrics.csv",
        "text/csv",
        key="download-metrics",
        on_click="ignore",
    )
with tab_units:
    st.dataframe(units_display(units, frame.lang), hide_index=True, width="stretch")
with tab_method:
    st.markdown(frame.t("sources.method"))
