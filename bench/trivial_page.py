"""The benchmark's yardstick: one slider and one small chart, no frame, no database, no cache.

Not an app page (not in pages/ nor in analysis.sitemap): bench/run.py measures every real page's
rerun and redraw against this page, under AppTest and served as its own app in Chromium.
"""

import plotly.graph_objects as go
import streamlit as st

st.title("Trivial page")
value = st.slider("Value", min_value=0, max_value=100, value=50, step=1, key="value")
years = [2020, 2021, 2022, 2023, 2024]
fig = go.Figure(go.Scatter(x=years, y=[value * (i + 1) for i in range(len(years))], mode="lines+markers"))
fig.update_layout(height=300, margin={"l": 40, "r": 20, "t": 20, "b": 40})
st.plotly_chart(fig, key="chart")
