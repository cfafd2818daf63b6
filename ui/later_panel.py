"""Later figures on the forecast pages: the CAGR they imply beside the sliders, and their sources."""

from __future__ import annotations

import math

import streamlit as st

from analysis import later_view, market
from analysis import scenario as sc
from analysis.market import SERIES
from ui import scenario as scenario_state
from ui.frame import Frame, frame_load


def _set_param(name: str, value: float) -> None:
    current = scenario_state.values()
    current[name] = value
    scenario_state.set_values(current)


def implied_cagr_control(frame: Frame, series_id: str) -> None:
    """Next to the CAGR slider: the rate later figures imply over the same window, and a button that sets it."""
    growth = frame_load(frame, market.implied_growth, series_id=series_id, scenario=frame.scenario)
    if growth.cagr_percent is None or not math.isfinite(growth.cagr_percent):
        st.caption(frame.t(f"later.implied.none.{growth.reason or 'no_later'}", end_year=growth.end_year))
        return
    st.caption(later_view.implied_caption(growth, frame.lang))
    param = sc.all_params()[SERIES[series_id].param("cagr")]
    target = later_view.slider_value(param, growth.cagr_percent)
    st.button(
        later_view.implied_button_label(growth, param, frame.lang),
        key=f"later.implied.{series_id}",
        on_click=_set_param,
        args=(param.name, target),
        disabled=frame.scenario.get(param.name) == target,
        help=frame.t("later.implied.help", step=param.to_text(param.step or 1)),
        icon=":material/update:",
    )


def later_sources(frame: Frame, series_id: str) -> None:
    """Every later figure of the series with its page, date and quote (the evidence behind the chart's points)."""
    table = frame_load(frame, later_view.sources_table, series_id=series_id, lang=frame.lang)
    if table.empty:
        return
    with st.expander(frame.t("later.sources.heading", count=len(table)), icon=":material/fact_check:"):
        url = frame.t("later.sources.col.url")
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            key=f"later.sources.{series_id}",
            column_config={url: st.column_config.LinkColumn(url)},
        )
    st.caption(frame.t("later.sources.caption"))
