"""AI server market: IDC's market size and TrendForce's shipments, the series they imply, scenarios and fans."""

import streamlit as st

from ui.forecast_panel import forecast_section, scenario_comparison
from ui.frame import page_frame

frame = page_frame("market")
st.title(frame.t("page.market.title"))
st.caption(frame.t("page.market.summary"))
left, middle, right = st.columns(3)
frame.param("phase_bands", container=left)
frame.param("imports_layer", container=middle)
frame.param("later_layer", container=right)

forecast_section(frame, "market", "ai-server-market")
st.divider()
forecast_section(frame, "shipments", "ai-server-shipments")
st.divider()
scenario_comparison(frame, ("market", "shipments"))
