"""Display pieces of the industry pages: choices kept in the URL, claim cards, profiles, the node panel, the chain."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from analysis.industry import company_count_text
from analysis.sitemap import PAGES_BY_ID
from analysis.textsafe import escape_markdown
from ui.choice import relabel
from ui.frame import Frame

NODE_KEY = "ind_node"
LAYER_KEY = "ind_layer"
ROUTE_KEY = "ind_route"
CARDS_PER_ROW = 3
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_~\[\]<>#|$])")


def md(text: str) -> str:
    """Data text shown as markdown literally (a lone ~ or $ in a figure must not become markup)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


# ---------------------------------------------------------------- choices kept in the URL


def url_choice(frame: Frame, key: str, options: dict[str, str], *, label: str, help: str, container=st) -> str:
    """A selectbox whose value is the URL query parameter `key`; the first option is the default and stays out of the URL.

    The URL is written during the script run (not in a callback), so the browser's address bar follows every change.
    A link that changes the parameter (deep link, page link) moves the widget; a value the options do not know is
    dropped from the URL with a visible warning.
    """
    values, default = list(options), next(iter(options))
    relabel(key, frame.lang, values)
    raw = st.query_params.get(key)
    if raw is not None and raw not in options:
        # The value is whatever the link carried: echoed as text, never as Markdown (an image the browser would fetch).
        shown = escape_markdown(raw[:40])
        st.warning(frame.t("industry.bad_url_choice", label=label, value=shown), icon=":material/link_off:")
        del st.query_params[key]
        raw = None
    from_url = default if raw is None else raw
    synced = f"{key}.synced"
    if st.session_state.get(synced) != from_url or st.session_state.get(key) not in options:
        st.session_state[key] = from_url  # the URL changed outside this page (or first run): it wins
    value = container.selectbox(label, values, format_func=options.get, key=key, help=help)
    if value != from_url:
        if value == default:
            del st.query_params[key]
        else:
            st.query_params[key] = value
    st.session_state[synced] = value
    return value


def select_from_chart(chart_state_key: str, key: str, options: list[str]) -> None:
    """on_select callback: a clicked node of a hierarchical chart becomes the choice `key` (url_choice writes the URL),
    and is kept as the click to answer on this run (`take_click`)."""
    event = st.session_state.get(chart_state_key) or {}
    points = (event.get("selection") or {}).get("points") or []
    clicked = points[0].get("id") if points else None
    if clicked in options:
        st.session_state[key] = clicked
        st.session_state[clicked_key(key)] = clicked


def clicked_key(key: str) -> str:
    return f"{key}.clicked"


def take_click(key: str) -> str | None:
    """The node a click on the chart chose, once: the run that answers it shows its details where the click was."""
    return st.session_state.pop(clicked_key(key), None)


# ---------------------------------------------------------------- cards


def show_cards(frame: Frame, cards: list[dict], per_row: int = CARDS_PER_ROW) -> None:
    for start in range(0, len(cards), per_row):
        for column, card in zip(st.columns(per_row), cards[start : start + per_row], strict=False):
            with column:
                show_card(frame, card)


def show_card(frame: Frame, card: dict, *, stretch: bool = True) -> None:
    with st.container(border=True, height="stretch" if stretch else "content"):
        if card["kind"] == "text":
            st.markdown(md(card["text"]))
            if frame.lang != "zh":
                st.caption(frame.t("industry.card.original", printed=md(card["printed"])))
        else:
            st.caption(md(card["label"]))
            st.markdown(f"#### {md(card['value'])}")
            st.caption(frame.t("industry.card.printed", printed=md(card["printed"])))
        st.caption(frame.t("industry.card.source", source=md(card["source"])))
        if card.get("note"):
            st.caption(frame.t("industry.card.note", note=md(card["note"])))


# ---------------------------------------------------------------- player profiles


def show_profile(frame: Frame, profile: dict) -> None:
    # A profile is a handful of elements (texts joined, claims in one table): the page lists every company at once.
    with st.container(border=True):
        st.subheader(profile["name"], anchor=False)
        none, sep = frame.t("industry.profile.none"), ("、" if frame.lang == "zh" else ", ")
        layers, routes = sep.join(profile["layers"]) or none, sep.join(profile["routes"]) or none
        st.markdown(md(profile["summary"]) + "\n\n" + frame.t("industry.profile.layers_routes", layers=layers, routes=routes))
        if profile["case_heading"]:
            notes = [frame.t("industry.profile.case", heading=md(profile["case_heading"]), source=md(profile["source"]))]
        else:
            notes = [frame.t("industry.card.source", source=md(profile["source"]))]
        if frame.lang != "zh":
            notes.append(frame.t("industry.card.original", printed=md(profile["summary_printed"])))
        if profile["note"]:
            notes.append(frame.t("industry.card.note", note=md(profile["note"])))
        st.caption("  \n".join(notes))
        with st.expander(frame.t("industry.profile.products", count=len(profile["products"]))):
            st.dataframe(products_table(frame, profile["products"]), hide_index=True, width="stretch")
        st.markdown(f"**{frame.t('industry.profile.claims', count=len(profile['claims']))}**")
        # A Markdown table: one light element that wraps long claims (a data grid per company is heavier to draw).
        st.markdown(markdown_table(claims_table(frame, profile["claims"])))


def markdown_table(table: pd.DataFrame) -> str:
    """`table` as a Markdown table, every cell shown literally (one line each)."""

    def cell(value: object) -> str:
        return md(" ".join(str(value).split())) if value is not None else ""

    lines = ["| " + " | ".join(cell(c) for c in table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def claims_table(frame: Frame, claims: list[dict]) -> pd.DataFrame:
    """A profile's claims, one row each: what it says, the value as the app prints it, the wording, source, note."""
    texts = [c["text"] if c["kind"] == "text" else c["label"] for c in claims]
    return pd.DataFrame(
        {
            frame.t("industry.col.claim"): texts,
            frame.t("industry.col.value"): [c.get("value") or "" if c["kind"] != "text" else "" for c in claims],
            # The report's own wording; a text claim shown in Chinese is that wording already.
            frame.t("industry.col.printed"): [
                "" if c["kind"] == "text" and frame.lang == "zh" else c.get("printed") or "" for c in claims
            ],
            frame.t("industry.col.source"): [c["source"] for c in claims],
            frame.t("industry.col.note"): [c.get("note") or "" for c in claims],
        }
    )


def products_table(frame: Frame, products: list[dict], *, with_player: bool = False) -> pd.DataFrame:
    columns = {
        frame.t("industry.col.product"): [p["name"] for p in products],
        frame.t("industry.col.node"): [p["node"] or frame.t("industry.profile.off_map") for p in products],
        frame.t("industry.col.route"): [p["route"] or "" for p in products],
        frame.t("industry.col.placement"): [p["placement"] or "" for p in products],
        frame.t("industry.col.source"): [p["source"] for p in products],
        frame.t("industry.col.note"): [p["note"] or "" for p in products],
    }
    if with_player:
        columns = {frame.t("industry.col.player"): [p["player"] for p in products]} | columns
    return pd.DataFrame(columns)


# ---------------------------------------------------------------- the node panel and the chain


def players_link(frame: Frame, label: str, **filters: str) -> None:
    page = PAGES_BY_ID["players"]
    st.page_link(page.file, label=label, icon=page.icon, query_params=frame.nav_params | filters)


def show_node_detail(frame: Frame, detail: dict) -> None:
    st.subheader(detail["name"], anchor=False)
    where = " › ".join(detail["path"])
    st.caption(frame.t("industry.detail.where", kind=detail["kind"], path=md(where) or "—", source=md(detail["source"])))
    if detail["note"]:
        st.caption(frame.t("industry.card.note", note=md(detail["note"])))
    if detail["attribution"]:
        st.caption(frame.t("industry.detail.attribution", **{k: md(v) for k, v in detail["attribution"].items()}))
    if detail["layers"]:
        sep = "、" if frame.lang == "zh" else ", "
        overview = {
            frame.t("industry.col.node"): [x["layer"] for x in detail["layers"]],
            frame.t("industry.col.player_count"): [len(x["players"]) for x in detail["layers"]],
            frame.t("industry.col.player"): [sep.join(x["players"]) for x in detail["layers"]],
        }
        st.dataframe(pd.DataFrame(overview), hide_index=True, width="stretch")
        return
    players = list(dict.fromkeys(p["player"] for p in detail["products"]))
    if players:
        sep = "、" if frame.lang == "zh" else ", "
        st.markdown(
            frame.t("industry.detail.players", companies=company_count_text(len(players), frame.lang), names=sep.join(players))
        )
        st.dataframe(products_table(frame, detail["products"], with_player=True), hide_index=True, width="stretch")
    else:
        st.info(frame.t("industry.detail.no_players"))
    if detail["layer_id"] and players:
        players_link(frame, frame.t("industry.detail.to_players"), **{LAYER_KEY: detail["layer_id"]})
    if detail["route_id"]:
        players_link(frame, frame.t("industry.detail.to_route"), **{ROUTE_KEY: detail["route_id"]})
    if detail["chain"]:
        st.markdown(frame.t("industry.detail.chain", link=detail["chain"]["name"]))
        show_cards(frame, detail["chain"]["cards"], per_row=2)


def show_chain(frame: Frame, links: list[dict]) -> None:
    for i, (column, link) in enumerate(zip(st.columns(len(links)), links, strict=True)):
        with column:
            arrow = " →" if i < len(links) - 1 else ""
            st.markdown(f"#### {link['name']}{arrow}")
            if link["note"]:
                st.caption(frame.t("industry.card.note", note=md(link["note"])))
            for card in link["cards"]:
                show_card(frame, card, stretch=False)


# ---------------------------------------------------------------- the chip routes


def show_route_comparison(frame: Frame, comparison: list[dict]) -> None:
    for column, route in zip(st.columns(len(comparison)), comparison, strict=True):
        with column, st.container(border=True, height="stretch"):
            st.subheader(route["name"], anchor=False)
            for aspect, items in route["aspects"].items():
                st.markdown(f"**{frame.t(f'industry.aspect.{aspect}')}**")
                st.markdown("\n".join(f"- {md(item['text'])}" for item in items) or "—")
            sep = "、" if frame.lang == "zh" else ", "
            st.markdown(frame.t("industry.route.profiled", names=sep.join(route["players"]) or frame.t("industry.profile.none")))
            players_link(frame, frame.t("industry.route.filter", route=route["name"]), **{ROUTE_KEY: route["route_id"]})
            notes = [f"- {md(i['text'])}: {md(i['note'])}" for items in route["aspects"].values() for i in items if i["note"]]
            with st.expander(frame.t("industry.route.notes", count=len(notes))):
                st.markdown("\n".join(notes))
            st.caption(frame.t("industry.card.source", source=md(route["source"])))
