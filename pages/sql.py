"""SQL console: one read-only query at a time over the figure database, sandboxed and time-limited."""

import streamlit as st

from analysis import sqlconsole
from ui.choice import relabel
from ui.frame import frame_load, interactive_section, page_frame

RESULT_KEY = "sql.outcome"
TEXT_KEY = "sql.text"


def _use_example() -> None:
    example = st.session_state.get("sql.example")
    if example in sqlconsole.EXAMPLES:
        st.session_state[TEXT_KEY] = sqlconsole.EXAMPLES[example]


frame = page_frame("sql")
st.title(frame.t("page.sql.title"))
LIMITS = {
    "seconds": f"{sqlconsole.TIMEOUT_SECONDS:g}",
    "max_rows": f"{sqlconsole.MAX_ROWS:,}",
    "mb": sqlconsole.MAX_RESULT_MB,
    "memory": f"{sqlconsole.CHILD_MEMORY_MB:,}",
    "max_seconds": f"{sqlconsole.MAX_TIMEOUT_SECONDS:g}",
    "total_mb": sqlconsole.RESULT_BUDGET_MB,
}
st.caption(frame.t("sql.intro", **LIMITS, rows=LIMITS["max_rows"]))


# A query reruns the console only.
@interactive_section
def console_section() -> None:
    with st.expander(frame.t("sql.tables"), icon=":material/table_view:"):
        st.dataframe(frame_load(frame, sqlconsole.table_overview), hide_index=True, width="stretch")

    st.session_state.setdefault(TEXT_KEY, sqlconsole.EXAMPLES["forecasts"])
    relabel("sql.example", frame.lang, sqlconsole.EXAMPLES)
    st.selectbox(
        frame.t("sql.example"),
        options=list(sqlconsole.EXAMPLES),
        format_func=lambda k: frame.t(f"sql.example.{k}"),
        index=None,
        placeholder=frame.t("sql.example_placeholder"),
        key="sql.example",
        on_change=_use_example,
    )
    with st.form("sql.form", border=False):
        sql = st.text_area(frame.t("sql.query"), key=TEXT_KEY, height=160, help=frame.t("sql.query_help"))
        if st.form_submit_button(frame.t("sql.run"), icon=":material/play_arrow:", type="primary"):
            st.session_state.pop(RESULT_KEY, None)  # release the previous result before the next one arrives
            try:
                st.session_state[RESULT_KEY] = sqlconsole.run_sql(sql, db_path=frame.status.path)
            except sqlconsole.SqlError as exc:
                st.session_state[RESULT_KEY] = exc

    outcome = st.session_state.get(RESULT_KEY)
    if isinstance(outcome, sqlconsole.SqlError):
        st.error(frame.t(f"sql.error.{outcome.code}", **LIMITS), icon=":material/error:")
        if outcome.detail:
            st.code(outcome.detail, language=None, wrap_lines=True)
    elif outcome is not None:
        partial = outcome.row_count > sqlconsole.DISPLAY_ROWS
        numbers = {"rows": f"{outcome.row_count:,}", "seconds": f"{outcome.seconds:.2f}", "shown": f"{sqlconsole.DISPLAY_ROWS:,}"}
        st.caption(frame.t("sql.summary_partial" if partial else "sql.summary", **numbers))
        if outcome.truncated:
            # Cut at less than the usual limit: the server-wide budget had only that much free.
            key = "sql.truncated_shared" if outcome.limit_bytes < sqlconsole.MAX_RESULT_BYTES else "sql.truncated"
            free = {"free_mb": f"{outcome.limit_bytes / 2**20:.0f}"}
            st.warning(frame.t(key, **LIMITS, **free, rows=f"{outcome.row_count:,}"), icon=":material/content_cut:")
        st.dataframe(sqlconsole.display_frame(outcome), hide_index=True, width="stretch")
        st.download_button(
            frame.t("sql.download", rows=f"{outcome.row_count:,}"),
            data=sqlconsole.csv_download(outcome),
            file_name="compute-atlas_query.csv",
            mime="text/csv",
            icon=":material/download:",
            disabled=outcome.row_count == 0,
            key="sql.download",
            on_click="ignore",
        )


console_section()

st.caption(frame.t("sql.sandbox_note"))
