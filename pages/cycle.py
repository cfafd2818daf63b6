"""Industry cycle: the report's three phases as logistic curves with adjustable assumptions."""

import pandas as pd
import streamlit as st

from analysis import cycle_charts, cycle_link
from analysis.cycle import EQUATIONS_LATEX, GROUPS, LAST_YEAR, PHASES
from analysis.cycle_charts import MATRIX_PHASES, SCORE_COLUMNS, matrix_figure, matrix_table, valid_scores
from analysis.cycle_link import describe_link
from ui.frame import frame_chart, frame_load, interactive_section, page_frame
from ui.widgets import show_chart, show_spec

LAST_GOOD = "cycle.last_good"

frame = page_frame("cycle")
st.title(frame.t("page.cycle.title"))
st.markdown(frame.t("cycle.intro"))
st.info(frame.t("cycle.calibrated"), icon=":material/info:")


# The assumptions drive the curves, the phase years and the sensitivity, so they rerun together; the
# maturity matrices do not depend on them and have editors of their own.
@interactive_section
def model_section() -> None:
    with st.expander(frame.t("cycle.assumptions"), expanded=True, icon=":material/tune:"):
        for column, group in zip(st.columns(len(GROUPS)), GROUPS, strict=True):
            column.markdown(f"**{frame.t(f'cycle.group.{group}')}**")
            for part in ("midpoint", "steepness", "ceiling"):
                frame.param(f"cyc_{group}_{part}", container=column)
        frame.param("cyc_takeoff_percent")
        left, right = st.columns(2)
        linked = frame.param("cyc_link", container=left)
        frame.param("cyc_link_share", container=right, disabled=not linked)
        if linked:
            link = frame_load(frame, cycle_link.link_for, scenario=tuple(sorted(frame.scenario.items())))
            (st.caption if link.applied else st.warning)(describe_link(link, frame.lang))
            st.caption(frame.t("cycle.link_source", mode=frame.t(f"workload.mode.{frame.scenario['wl_mode']}")))

    try:
        curves = frame_chart(frame, "cycle-curves")
        st.session_state[LAST_GOOD] = frame.scenario
    except ValueError as exc:
        st.error(frame.t("cycle.model_error", detail=str(exc)))
        curves = frame_chart(frame, "cycle-curves", st.session_state.get(LAST_GOOD, {}))

    overview = frame_load(frame, cycle_charts.phase_overview_for, scenario=tuple(sorted(frame.scenario.items())), lang=frame.lang)
    for column, row in zip(st.columns(len(PHASES)), overview.itertuples(), strict=True):
        start = frame.t("cycle.metric_none") if pd.isna(row.computed_start) else str(int(row.computed_start))
        column.metric(
            frame.t("cycle.metric_label", phase=row.name),
            start,
            help=frame.t("cycle.leader", group=frame.t(f"cycle.group.{row.group}")),
            border=True,
        )
        column.caption(frame.t("cycle.metric_report", years=row.report_years))
    if overview["computed_start"].isna().any() or list(overview["computed_start"]) != sorted(overview["computed_start"].dropna()):
        st.warning(frame.t("cycle.out_of_order", year=LAST_YEAR))
    else:
        # Two phases in one year: the earlier one has no year of its own, so its band is not drawn; say why.
        rows = list(overview.itertuples())
        for earlier, later in zip(rows[:-1], rows[1:], strict=True):
            if earlier.computed_start == later.computed_start:
                st.info(
                    frame.t("cycle.same_year", earlier=earlier.name, later=later.name, year=int(later.computed_start)),
                    icon=":material/info:",
                )

    st.markdown(f"**{curves.takeaway}**")
    show_spec(frame, curves)
    st.caption(frame.t("cycle.report_lines", years=frame.t("cycle.list_sep").join(overview["report_years"])))

    st.subheader(frame.t("cycle.sensitivity"))
    show_spec(frame, frame_chart(frame, "cycle-sensitivity"))


# The equations and the report's phase items do not depend on the assumptions: outside the section, drawn
# once per page run and not again on each slider move.
def model_notes() -> None:
    overview = frame_load(frame, cycle_charts.phase_overview_for, scenario=(), lang=frame.lang)
    with st.expander(frame.t("cycle.equations"), icon=":material/function:"):
        for equation in EQUATIONS_LATEX:
            st.latex(equation)
        st.caption(frame.t("cycle.equations_text"))

    st.subheader(frame.t("cycle.phase_details"))
    for tab, row in zip(st.tabs(list(overview["name"])), overview.itertuples(), strict=True):
        with tab:
            for column, (item_type, texts) in zip(st.columns(len(row.items)), row.items.items(), strict=True):
                column.markdown(f"**{frame.t(f'cycle.item_type.{item_type}')}**")
                column.markdown("\n".join(f"- {text}" for text in texts))


@interactive_section
def matrices_section() -> None:
    st.subheader(frame.t("cycle.matrices"))
    st.caption(frame.t("cycle.matrices_help"))
    for phase_id in MATRIX_PHASES:
        with st.container():
            spec = frame_chart(frame, f"cycle-matrix-{phase_id}")
            scores = frame_load(frame, cycle_charts.matrix_scores, phase_id=phase_id)
            edited = st.data_editor(
                scores[[f"text_{frame.lang}", "demand_maturity_score", "x_maturity_score", "scale_score"]],
                column_config={
                    f"text_{frame.lang}": st.column_config.TextColumn(frame.t("cycle.column.item"), disabled=True),
                    "demand_maturity_score": st.column_config.NumberColumn(
                        frame.t("cycle.axis.demand"), min_value=0, max_value=10
                    ),
                    "x_maturity_score": st.column_config.NumberColumn(
                        frame.t(f"cycle.axis.{scores['x_axis'].iloc[0]}"), min_value=0, max_value=10
                    ),
                    "scale_score": st.column_config.NumberColumn(frame.t("cycle.column.scale"), min_value=0, max_value=10),
                },
                hide_index=True,
                key=f"cycle.scores.{phase_id}",
            )
            good_key = f"cycle.good_scores.{phase_id}"
            if valid_scores(edited):
                st.session_state[good_key] = edited
            else:
                st.warning(frame.t("cycle.scores_invalid"))
            current = scores.assign(
                **{c: st.session_state.get(good_key, edited)[c] for c in edited.columns if c.endswith("_score")}
            )
            if current[list(SCORE_COLUMNS)].equals(scores[list(SCORE_COLUMNS)]):
                show_spec(frame, spec)  # unedited: the cached chart, no figure to rebuild on each rerun
            else:
                figure = matrix_figure(current, phase_id, source_line=spec.source_line, lang=frame.lang)
                show_chart(frame, figure, matrix_table(current, frame.lang), slug=spec.slug, source_line=spec.source_line)


model_section()
model_notes()
matrices_section()
