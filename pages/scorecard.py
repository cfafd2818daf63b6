"""Forecast vs actual: the report's forecasts beside the actuals imported since, with the error."""

from functools import partial

import streamlit as st

from analysis import imports, scorecard
from analysis.scorecard import scorecard_display
from analysis.tables import figures_display
from ui.frame import frame_load, page_frame
from ui.widgets import csv_bytes

frame = page_frame("scorecard")
st.title(frame.t("page.scorecard.title"))
st.caption(frame.t("scorecard.intro"))

revision = imports.revision()
card = frame_load(frame, scorecard.scorecard, revision=revision)
waiting = frame_load(frame, scorecard.awaiting_actuals, revision=revision)

if card.empty:
    st.info(frame.t("scorecard.empty"), icon=":material/info:")
else:
    table = scorecard_display(card, frame.lang)
    st.caption(frame.t("scorecard.count", matched=len(card), waiting=len(waiting)))
    st.dataframe(table, hide_index=True, width="stretch")
    st.download_button(
        frame.t("scorecard.download"),
        data=partial(csv_bytes, table),
        file_name=f"compute-atlas_forecast-vs-actual_{frame.lang}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="scorecard.download",
    )
    st.caption(frame.t("scorecard.method"))
st.page_link(
    "pages/imports.py", label=frame.t("scorecard.to_imports"), icon=":material/upload_file:", query_params=frame.nav_params
)

st.subheader(frame.t("scorecard.waiting", count=len(waiting)))
if waiting.empty:
    st.caption(frame.t("scorecard.none_waiting"))
else:
    st.dataframe(figures_display(waiting, frame.lang), hide_index=True, width="stretch")
