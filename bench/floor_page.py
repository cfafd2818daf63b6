"""The framework's floor: the market page's first forecast section drawn with no app work around it.

Not an app page. It draws the same elements as `ui.forecast_panel.forecast_section` for the AI server
market (five labelled sliders and two captions beside the chart; the takeaway, the chart's title, the same shared
chart with its source line, three deferred downloads and the live-links popover; the year table, its note
and the later figures' table), in one `st.fragment`, with the same chart and tables taken from the database.
Everything is built once per CAGR value and shared (`st.cache_resource`); there is no frame, no scenario
state, no URL, no translation lookup and no `st.cache_data`.

bench/run.py times it against the trivial page in the same rounds, as it times the real pages: its ratio is
what Streamlit itself costs for that much content, the least the real section could cost.
"""

import sys
from functools import partial
from pathlib import Path

import streamlit as st

# `streamlit run bench/floor_page.py` puts bench/ on the path, not the project.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis import later_view, market  # noqa: E402
from analysis.chartspec import chart_def, laid_out  # noqa: E402
from analysis.db import connect_readonly, ensure_database  # noqa: E402
from analysis.scenario import all_params, defaults  # noqa: E402

SERIES_ID, SLUG, LANG = "market", "ai-server-market", "zh"
SERIES = market.SERIES[SERIES_ID]


@st.cache_resource(show_spinner=False, max_entries=16)
def content(cagr: float):
    """The section's chart, year table and later figures for this CAGR, built once per process."""
    con = connect_readonly(ensure_database().path)  # built as the app builds it, when a fresh clone has none yet
    try:
        scenario = {**defaults(), SERIES.param("cagr"): cagr}
        spec = laid_out(chart_def(SLUG).build(con, scenario, LANG))
        table = market.forecast_table_aligned(con, SERIES_ID, scenario, LANG)
        later = later_view.sources_table(con, SERIES_ID, LANG)
    finally:
        con.close()
    return spec, table, later


st.title("Floor page")
TITLE = "AI server market"


@st.fragment
def section() -> None:
    params = [all_params()[SERIES.param(name)] for name in market.SETTING_NAMES]
    st.subheader("AI server market")
    controls, chart = st.columns([1, 3])
    with controls:
        for param in params:
            number = int if param.kind == "int" else float
            st.slider(
                param.name,
                min_value=number(param.min_value),
                max_value=number(param.max_value),
                value=number(param.default),
                step=number(param.step) if param.step is not None else None,
                key=f"floor.{param.name}",
                help="Help text.",
            )
        st.caption("The settings in one line.")
        st.caption("The rate later figures imply.")  # the market series has none to set: no button
    spec, table, later = content(float(st.session_state[f"floor.{params[0].name}"]))
    with chart:
        st.markdown(f"**{spec.takeaway}**")
        with st.container(key="floor-chart-title"):  # the chart's title as page text, as ui.widgets.screen_chart
            st.markdown(f"**{TITLE}**")
        st.plotly_chart(spec.screen_figure, key="floor.chart")
        st.caption(spec.source_line)
        with st.container(horizontal=True, gap="small"):
            for kind in ("csv", "png", "svg", "html"):
                st.download_button(
                    kind,
                    data=partial(bytes, 1),
                    file_name=f"chart.{kind}",
                    key=f"floor.{kind}",
                    on_click="ignore",
                    help="Help text.",
                    icon=":material/download:",
                )
        with st.popover("Live links", icon=":material/link:", help="Help text.", key="floor.share"):
            st.caption("How to copy them.")
            for line in ("CSV", "PNG", "Embed"):
                st.markdown(f"**{line}**")
                st.code(f"http://127.0.0.1/{line}", language=None, wrap_lines=True)
    st.markdown("**Year by year**", help="Help text.")
    config = {c: st.column_config.TextColumn(alignment="right") for c in table.numeric_columns}
    st.dataframe(table.shown, hide_index=True, width="stretch", key="floor.table", column_config=config)
    st.caption("The series' note.")
    with st.expander("Later figures", icon=":material/fact_check:"):
        st.dataframe(later, hide_index=True, width="stretch", key="floor.later")
    st.caption("Where the later figures come from.")


section()
