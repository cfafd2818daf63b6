"""Audit: each compute or cost claim of the report beside the calculator, the gap and what would close it."""

import streamlit as st

from analysis import compute as cm
from analysis import compute_view
from analysis.compute_view import error_message
from ui.frame import frame_view, interactive_section, page_frame
from ui.widgets import show_spec

GOOD_CATALOGUE = "cmp.catalogue"  # written by the calculator page when its catalogue edits are valid
VIEW = compute_view.audit_view

frame = page_frame("compute_audit")
st.title(frame.t("page.compute_audit.title"))
st.caption(frame.t("page.compute_audit.summary"))
st.markdown(frame.t("compute.audit.intro"))


# The assumptions change the table, the gap chart and the catalogue shown with them.
@interactive_section
def audit_section() -> None:
    with st.expander(frame.t("compute.audit.assumptions"), expanded=True, icon=":material/tune:"):
        left, middle, right = st.columns(3)
        frame.param("cmp_util_pct", container=left)
        basis = frame.param("cmp_price_basis", container=middle)
        frame.param("cmp_usd_gpu_hour", container=middle, disabled=basis != "custom")
        frame.param("cmp_tokens_query", container=right)
        frame.param("cmp_params_bn", container=right)

    edited = st.session_state.get(GOOD_CATALOGUE)
    try:
        view = frame_view(frame, VIEW, scenario=frame.scenario, lang=frame.lang, catalogue=edited)
    except cm.ComputeInputError as error:  # e.g. the A100 peak was blanked in the editor
        st.error(error_message(error, frame.lang), icon=":material/error:")
        view = frame_view(frame, VIEW, scenario=frame.scenario, lang=frame.lang, catalogue=None)
        edited = None

    st.table(view.table, hide_index=True)  # a static table wraps the long "what closes the gap" text
    show_spec(frame, view.gaps)
    st.caption(frame.t("compute.dgx_note"))

    st.subheader(frame.t("compute.audit.catalogue_heading"))
    if edited is not None:
        st.caption(frame.t("compute.audit.catalogue_edited"))
    st.dataframe(view.catalogue, hide_index=True, width="stretch")
    st.page_link(
        "pages/compute.py", label=frame.t("page.compute.title"), icon=":material/calculate:", query_params=frame.nav_params
    )


audit_section()
