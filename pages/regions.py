"""Regions: an offline map of China's compute geography, with layers, site details and the table behind it."""

from dataclasses import replace

import streamlit as st

from analysis import data, regions
from analysis.regions import (
    AREA_LAYERS,
    LAYER_PARAM,
    POINT_LAYERS,
    REGIONS_MAP,
    clicked_site,
    details_markdown,
    highlight_site,
    layers_from,
    markdown_escape,
    metric_cards,
    site_details,
    site_label,
    visible_sites,
)
from ui.choice import relabel
from ui.frame import frame_chart, frame_load, interactive_section, page_frame
from ui.widgets import chart_key, show_spec

SITE_KEY = "regions.site"  # the detail selectbox; a click on the map sets it
LAST_CLICK_KEY = "regions.last_click"  # the click already applied, so a later selectbox choice is not overridden

frame = page_frame("regions")
st.title(frame.t("page.regions.title"))
st.caption(frame.t("page.regions.summary"))

all_sites = frame_load(frame, regions.sites)
sources = frame_load(frame, data.sources)
cards = metric_cards(frame_load(frame, regions.region_metrics), int((all_sites["layer"] == "city").sum()), frame.lang)
for column, card in zip(st.columns(len(cards)), cards, strict=True):
    with column, st.container(border=True, height="stretch"):
        st.caption(card["label"], help=card["help"])
        st.markdown(f"### {card['value']}")
        st.caption(card["source"])


# The layer switches, a click on the map and the site picker change the map, the details and the table
# under it, and nothing above: the cards show the report's regional numbers whatever is switched on.
@interactive_section
def map_section() -> None:
    controls, chart_area = st.columns([1, 3], gap="medium")
    with controls:
        st.markdown(f"**{frame.t('regions.layers_heading')}**")
        for layer in POINT_LAYERS + AREA_LAYERS:
            frame.param(LAYER_PARAM[layer])
        st.caption(frame.t("regions.layers_note"))
    shown = visible_sites(all_sites, layers_from(frame.scenario))
    site_ids = list(shown["site_id"])
    # A click is in the chart's state before the chart is drawn again: the clicked site is picked out on it.
    event = st.session_state.get(chart_key(REGIONS_MAP.slug)) or {}
    click = clicked_site((event.get("selection") or {}).get("points") or [])
    new_click = click if click and click != st.session_state.get(LAST_CLICK_KEY) and click in site_ids else None
    if new_click:
        st.session_state[SITE_KEY] = new_click
    st.session_state[LAST_CLICK_KEY] = click
    if st.session_state.get(SITE_KEY) not in site_ids:
        st.session_state.pop(SITE_KEY, None)  # its layer was switched off
    with chart_area:
        spec = frame_chart(frame, REGIONS_MAP)
        picked = highlight_site(spec.screen_figure, st.session_state.get(SITE_KEY))
        show_spec(frame, spec if picked is spec.screen_figure else replace(spec, screen_figure=picked), on_select="rerun")

    labels = {row["site_id"]: site_label(row, frame.lang) for row in shown.to_dict("records")}
    if new_click:  # the details where the click was, not under the map's legend, source and table
        st.dialog(frame.t("regions.details_heading"), width="large")(site_panel)(new_click, shown, labels)
    st.subheader(frame.t("regions.details_heading"))
    relabel(SITE_KEY, frame.lang, site_ids)
    chosen = st.selectbox(
        frame.t("regions.site_select"),
        options=site_ids,
        format_func=labels.get,
        index=None,
        key=SITE_KEY,
        placeholder=frame.t("regions.site_placeholder"),
        help=frame.t("regions.site_select_help"),
        disabled=not site_ids,
    )
    if chosen:
        with st.container(border=True):
            site_panel(chosen, shown, labels)
    elif not site_ids:
        st.info(frame.t("regions.no_sites"))

    st.subheader(frame.t("regions.table_heading"))
    st.caption(frame.t("regions.table_note", rows=len(spec.data)))
    st.dataframe(spec.data, hide_index=True, width="stretch")
    st.caption(frame.t("regions.data_note"))


def site_panel(site_id: str, shown, labels: dict) -> None:
    site = shown[shown["site_id"] == site_id].iloc[0].to_dict()
    hub_names = dict(zip(all_sites["site_id"], all_sites[f"name_{frame.lang}"], strict=True))
    st.markdown(f"**{markdown_escape(labels[site_id])}**")
    st.markdown(details_markdown(site_details(site, sources, hub_names, frame.lang), frame.lang))


map_section()
