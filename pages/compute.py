"""Compute calculator: GPU-days, GPUs, days, cost, DGX Cloud lease and inference bill from the report's presets."""

import streamlit as st

from analysis import compute as cm
from analysis import compute_view
from analysis.compute_view import apply_edits, editor_frame, error_message
from ui.frame import frame_load, frame_view, interactive_section, page_frame
from ui.widgets import show_spec

LAST_VIEW = "cmp.last_view"  # the last result that could be computed, shown while an input is unusable
GOOD_CATALOGUE = "cmp.catalogue"  # the last valid catalogue edit (the audit page reads it too)
VIEW = compute_view.calculator_view

frame = page_frame("compute")
st.title(frame.t("page.compute.title"))
st.caption(frame.t("page.compute.summary"))


# Every input feeds the results, the charts and the catalogue check: the calculator reruns as one section.
@interactive_section
def calculator() -> None:
    published = frame_load(frame, cm.catalogue_from_db)
    inputs, outputs = st.columns([2, 5], gap="large")
    with inputs:
        st.subheader(frame.t("compute.section.training"))
        preset = frame.param("cmp_preset")
        frame.param("cmp_params_bn")
        frame.param("cmp_tokens_bn", disabled=preset != cm.CUSTOM_PRESET)
        st.subheader(frame.t("compute.section.hardware"))
        frame.param("cmp_chip")
        chip_message = st.empty()
        for name in ("cmp_util_pct", "cmp_days", "cmp_gpus"):
            frame.param(name)
        basis = frame.param("cmp_price_basis")
        frame.param("cmp_usd_gpu_hour", disabled=basis != "custom")
        st.subheader(frame.t("compute.section.inference"))
        for name in ("cmp_visits_m", "cmp_interactions", "cmp_usd_interaction", "cmp_tokens_query"):
            frame.param(name)
    charts = st.container()

    with st.expander(frame.t("compute.section.catalogue"), icon=":material/memory:"):
        st.caption(frame.t("compute.catalogue_help"))
        id_column, name_column = editor_frame(published, frame.lang).columns[:2]
        edited = st.data_editor(
            editor_frame(published, frame.lang),
            key=f"cmp_catalogue_editor_{frame.lang}",
            num_rows="fixed",
            disabled=[id_column, name_column],
            hide_index=True,
            width="stretch",
        )
        catalogue_message = st.empty()
    try:
        catalogue = apply_edits(published, edited, frame.lang)
        st.session_state[GOOD_CATALOGUE] = None if catalogue.equals(published) else catalogue
    except cm.ComputeInputError as error:
        catalogue_message.error(error_message(error, frame.lang), icon=":material/edit_off:")
        kept = st.session_state.get(GOOD_CATALOGUE)
        catalogue = published if kept is None else kept

    own = None if catalogue.equals(published) else catalogue  # None: the published one, a plain (shared) view
    try:
        view = frame_view(frame, VIEW, scenario=frame.scenario, lang=frame.lang, catalogue=own)
        st.session_state[LAST_VIEW] = view
    except cm.ComputeInputError as error:
        slot = {"gpu": chip_message, "catalogue": catalogue_message}.get(error.field, outputs)
        slot.error(error_message(error, frame.lang), icon=":material/error:")
        view = st.session_state.get(LAST_VIEW)
        if view is None or view.lang != frame.lang:  # nothing computed yet: fall back to the reference chip
            fallback = {**frame.scenario, "cmp_chip": cm.REFERENCE_CHIP}
            view = frame_view(frame, VIEW, scenario=fallback, lang=frame.lang, catalogue=own)
        outputs.caption(frame.t("compute.kept_last"))

    with outputs:
        st.markdown(f"#### {view.job}")
        st.caption(view.job_source)
        st.subheader(frame.t("compute.section.results_training"))
        for row in (view.training[:2], view.training[2:4], view.training[4:]):
            for column, card in zip(st.columns(2), row, strict=True):
                column.metric(card.label, card.value, help=card.help or None, border=True)
        st.caption(frame.t("compute.dgx_note"))
        st.subheader(frame.t("compute.section.results_inference"))
        for row in (view.inference[:2], view.inference[2:]):
            for column, card in zip(st.columns(2), row, strict=True):
                column.metric(card.label, card.value, help=card.help or None, border=True)
        with st.expander(frame.t("compute.section.formulas"), icon=":material/function:"):
            for formula in view.formulas:
                st.latex(formula)
            st.caption(frame.t("compute.formula_symbols"))
            st.markdown("\n".join(f"- {line}" for line in view.conversions))
        st.page_link(
            "pages/compute_audit.py", label=frame.t("compute.audit_link"), icon=":material/rule:", query_params=frame.nav_params
        )

    with charts:
        show_spec(frame, view.tradeoff)
        st.subheader(frame.t("compute.section.sensitivity"))
        frame.param("cmp_output")
        show_spec(frame, view.tornado)


calculator()
