"""Industry map: the report's value chain (产业全景图) as an icicle; a node's players; the chain 芯片—服务器—云平台—模型应用."""

from dataclasses import replace

import streamlit as st

from analysis import industry
from analysis.industry_charts import highlight_node
from ui.frame import frame_chart, frame_load, interactive_section, page_frame
from ui.industry import NODE_KEY, select_from_chart, show_chain, show_node_detail, take_click, url_choice
from ui.widgets import chart_key, show_spec

VALUE_CHAIN = "industry-value-chain"

frame = page_frame("industry")
st.title(frame.t("page.industry.title"))
st.caption(frame.t("page.industry.summary"))

st.subheader(frame.t("industry.map_heading"), anchor=False)
st.caption(frame.t("industry.map_help"))


# Picking a node (in the list or on the chart) changes the chart's focus and the panel under it only.
@interactive_section
def value_chain_section() -> None:
    nodes = frame_load(frame, industry.node_choices, lang=frame.lang)
    clicked = take_click(NODE_KEY)
    picker, _ = st.columns([2, 3])
    node = url_choice(
        frame, NODE_KEY, nodes, label=frame.t("industry.node_label"), help=frame.t("industry.node_help"), container=picker
    )
    # A key per chosen node: a click redraws the whole panorama (as the deep link does) instead of leaving
    # Plotly zoomed into the clicked box; the chosen box is outlined on it.
    map_key = f"{chart_key(VALUE_CHAIN)}.{node}"
    spec = frame_chart(frame, VALUE_CHAIN)
    show_spec(
        frame,
        replace(spec, screen_figure=highlight_node(spec.screen_figure, node)),
        on_select=lambda: select_from_chart(map_key, NODE_KEY, list(nodes)),
        key=map_key,
    )
    detail = frame_load(frame, industry.node_detail, node_id=node, lang=frame.lang)
    if clicked == node:  # the details where the click was, not under the chart's 860 px
        st.dialog(frame.t("industry.detail.dialog_title"), width="large")(show_node_detail)(frame, detail)
    with st.container(border=True):
        show_node_detail(frame, detail)


value_chain_section()

st.subheader(frame.t("industry.chain_heading"), anchor=False)
st.caption(frame.t("industry.chain_help"))
show_chain(frame, frame_load(frame, industry.chain_cards, lang=frame.lang))
