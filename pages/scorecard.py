"""Forecast vs actual: the report card against the later figures shipped with the app, then imported actuals."""

from functools import partial

import streamlit as st

from analysis import imports, scorecard
from analysis.chart_layout import SCREEN, lay_out
from analysis.charts import plotly_config
from analysis.scorecard import scorecard_display
from analysis.scorecard_chart import error_chart, error_chart_data
from analysis.tables import figures_display
from analysis.textsafe import csv_safe_frame
from ui.frame import frame_chart, frame_load, page_frame
from ui.widgets import csv_bytes, screen_chart, show_spec

frame = page_frame("scorecard")
st.title(frame.t("page.scorecard.title"))
st.caption(frame.t("card.intro"))

st.subheader(frame.t("card.heading"))
verdicts, card_table = frame_load(frame, scorecard.report_card_view, lang=frame.lang)
st.markdown("\n".join(f"- {line}" for line in verdicts.values()))
show_spec(frame, frame_chart(frame, "report-card"))
url = frame.t("card.col.url")
st.dataframe(
    card_table, hide_index=True, width="stretch", key="card.table", column_config={url: st.column_config.LinkColumn(url)}
)
st.caption(frame.t("card.method"))

st.subheader(frame.t("scorecard.imported_heading"))
st.caption(frame.t("scorecard.intro"))
revision = imports.revision()
card = frame_load(frame, scorecard.scorecard, revision=revision)
waiting = frame_load(frame, scorecard.awaiting_actuals, revision=revision)

if card.empty:
    st.info(frame.t("scorecard.empty"), icon=":material/info:")
else:
    table = scorecard_display(card, frame.lang)
    st.caption(frame.t("scorecard.count", matched=len(card), waiting=len(waiting)))
    # The comparison first (figure, forecast, actual, error), the long source citations last, so nothing
    # a reader compares sits off-screen to the right.
    first = [frame.t(f"scorecard.{c}") for c in ("figure", "forecast", "actual", "error", "error_percent")]
    table = table[first + [c for c in table.columns if c not in first]]
    pinned = {frame.t("scorecard.figure"): st.column_config.TextColumn(pinned=True)}
    # The actual's citation and version are the importer's text: guarded for the grid's CSV download.
    shown = csv_safe_frame(table, [frame.t("scorecard.actual_source")])
    st.dataframe(shown, hide_index=True, width="stretch", column_config=pinned)
    if not error_chart_data(card, frame.lang).empty:
        figure = error_chart(card, frame.lang, source_line=frame.t("scorecard.chart_source"))
        config = plotly_config("scorecard-error", frame.lang)
        screen_chart(frame, figure, lay_out(figure, SCREEN).figure, config=config, key="scorecard.chart")
    st.download_button(
        frame.t("scorecard.download"),
        data=partial(csv_bytes, table),
        file_name=f"compute-atlas_forecast-vs-actual_{frame.lang}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="scorecard.download",
        on_click="ignore",
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
