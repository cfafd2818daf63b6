"""Players and chip routes: the report's company profiles filtered by layer and route; GPU vs ASIC; the newer routes."""

import streamlit as st

from analysis import industry
from analysis.industry import ALL
from ui.frame import frame_load, interactive_section, page_frame
from ui.industry import LAYER_KEY, ROUTE_KEY, show_profile, show_route_comparison, url_choice

frame = page_frame("players")
st.title(frame.t("page.players.title"))
st.caption(frame.t("page.players.summary"))


# The filters change the list of profiles only.
@interactive_section
def profiles_section() -> None:
    layer_column, route_column = st.columns(2)
    layer = url_choice(
        frame,
        LAYER_KEY,
        frame_load(frame, industry.layer_choices, lang=frame.lang),
        label=frame.t("industry.filter.layer"),
        help=frame.t("industry.filter.layer_help"),
        container=layer_column,
    )
    route = url_choice(
        frame,
        ROUTE_KEY,
        frame_load(frame, industry.route_choices, lang=frame.lang),
        label=frame.t("industry.filter.route"),
        help=frame.t("industry.filter.route_help"),
        container=route_column,
    )
    shown = frame_load(frame, industry.profiles, layer=layer, route=route, lang=frame.lang)
    total = len(frame_load(frame, industry.profiles, lang=frame.lang))
    st.caption(frame.t("industry.profile.count", shown=len(shown), total=total))
    if not shown:
        named = frame_load(frame, industry.route_named_companies, route_id=route, lang=frame.lang) if route != ALL else ""
        st.info(frame.t("industry.profile.none_match") + (" " + frame.t("industry.profile.named", names=named) if named else ""))
    for profile in shown:
        show_profile(frame, profile)


profiles_section()

st.header(frame.t("industry.routes_heading"), anchor=False)
st.caption(frame.t("industry.routes_help"))
show_route_comparison(frame, frame_load(frame, industry.route_comparison, lang=frame.lang))
st.subheader(frame.t("industry.new_routes_heading"), anchor=False)
st.dataframe(frame_load(frame, industry.new_routes, lang=frame.lang), hide_index=True, width="stretch")
