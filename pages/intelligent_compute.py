"""China's intelligent compute (EFLOPS): IDC/Inspur's supplementary series, its implied path, scenario and fan."""

import streamlit as st

from ui.forecast_panel import forecast_section, scenario_comparison
from ui.frame import page_frame

frame = page_frame("intelligent_compute")
st.title(frame.t("page.intelligent_compute.title"))
st.caption(frame.t("page.intelligent_compute.summary"))
st.info(frame.t("market.supplementary_badge"), icon=":material/info:")
left, middle, right = st.columns(3)
frame.param("phase_bands", container=left)
frame.param("imports_layer", container=middle)
frame.param("later_layer", container=right)

forecast_section(frame, "icc", "cn-intelligent-compute")
st.divider()
scenario_comparison(frame, ("icc",))
