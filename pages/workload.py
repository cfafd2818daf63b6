"""Training vs inference: IDC's China AI server workload split, its fitted trend with a prediction interval, your own path."""

import streamlit as st

from analysis import workload
from analysis.workload import answer_text, fit_table, interval_text, odds_growth_percent, outlook_args, pct
from ui.forecast_panel import show_table
from ui.frame import frame_chart, frame_load, interactive_section, page_frame
from ui.widgets import show_spec

frame = page_frame("workload")
st.title(frame.t("page.workload.title"))
st.caption(frame.t("page.workload.summary"))


# The settings drive every number, chart and table below them.
@interactive_section
def outlook_section() -> None:
    with st.container(border=True):
        top = st.columns(3)
        frame.param("wl_target", container=top[0])
        frame.param("wl_confidence", container=top[1])
        frame.param("wl_horizon", container=top[2])
        bottom = st.columns(3)
        mode = frame.param("wl_mode", container=bottom[0])
        frame.param("wl_change", container=bottom[1], disabled=mode != "manual")
        with bottom[2]:
            st.write("")  # aligns the toggle with the sliders' track
            frame.param("phase_bands")

    result = frame_load(frame, workload.outlook, **outlook_args(frame.scenario))
    if mode == "manual":
        bottom[1].caption(
            frame.t(
                "workload.change_reference",
                mean=f"{result.mean_change_pp:+.1f}",
                last_change=f"{result.last_change_pp:+.1f}",
                first=result.first_year,
                last=result.last_year,
            )
        )

    confidence = pct(result.confidence_percent)
    answer, interval, odds = st.columns(3)
    answer.metric(
        frame.t("workload.metric_label", target=pct(result.target_percent)),
        answer_text(result, frame.lang),
        help=frame.t("workload.metric_help"),
        border=True,
    )
    interval.metric(
        frame.t("workload.interval_label", confidence=confidence),
        interval_text(result, frame.lang),
        help=frame.t("workload.interval_help"),
        border=True,
    )
    odds.metric(
        frame.t("workload.odds_label"), f"{odds_growth_percent(result):+.1f}%", help=frame.t("workload.odds_help"), border=True
    )

    spec = frame_chart(frame, "workload-outlook")
    st.markdown(f"**{spec.takeaway}**")
    show_spec(frame, spec)
    st.caption(frame.t("workload.data_note", first=result.first_year, last=result.last_year, n=result.nobs))

    with st.expander(frame.t("workload.model_heading"), icon=":material/functions:"):
        st.latex(rf"\operatorname{{logit}}(s_t) = \ln\frac{{s_t}}{{100 - s_t}} = a + b\,(t - {result.first_year})")
        st.latex(
            rf"\hat a = {result.intercept:.4f},\quad \hat b = {result.slope:.4f},\quad R^2 = {result.rsquared:.3f},\quad n = {result.nobs}"
        )
        st.markdown(
            frame.t("workload.model_text", first=result.first_year, confidence=confidence, df=result.df_resid, n=result.nobs)
        )
        st.dataframe(fit_table(result, frame.lang), hide_index=True, width="stretch", key="fit-table")

    st.subheader(frame.t("workload.table_heading"))
    show_table(spec.data, key="year-table")  # a dash, not "None", where IDC gives no figure for a year


outlook_section()
