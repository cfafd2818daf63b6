"""Home: headline figures with their sources, the workload chart and a map of the product.

This file is also the server's entry point. `streamlit run app.py` finds `app = st.App(...)` below, imports
the file as the module `app` and serves, on one port, the Streamlit app (this script as its home page,
run as `__main__` for every session) and the read-only HTTP API under /api/v1 (`ui/http_api.py`); its
lifespan starts the warm-up (`ui/warmup.py`).
"""

import streamlit as st

CARDS_PER_ROW = 4


def home() -> None:
    # Imported here, not at the top: the server imports this module before Streamlit's runtime exists,
    # and the frame's st.cache_* functions must be created inside it.
    from analysis import data
    from analysis.format import format_figure, is_blank
    from analysis.sitemap import PAGES, SECTIONS
    from analysis.tables import figure_label
    from analysis.textsafe import escape_markdown
    from ui.frame import frame_chart, frame_load, page_frame
    from ui.unknown_page import MISSING_KEY
    from ui.widgets import show_spec

    missing = st.query_params.get(MISSING_KEY)  # read before the frame rewrites the URL
    if missing is not None:
        del st.query_params[MISSING_KEY]
    frame = page_frame("home")
    if missing:
        st.warning(frame.t("home.page_missing", path=escape_markdown(f"/{missing}")), icon=":material/link_off:")
    st.title(frame.t("home.title"))
    st.markdown(frame.t("home.intro"))

    st.subheader(frame.t("home.headlines"))
    headlines = frame_load(frame, data.headline_figures).to_dict("records")
    for start in range(0, len(headlines), CARDS_PER_ROW):
        for column, row in zip(st.columns(CARDS_PER_ROW), headlines[start : start + CARDS_PER_ROW], strict=False):
            with column, st.container(border=True, height="stretch"):
                st.caption(figure_label(row, frame.lang), help=None if is_blank(row["note"]) else row["note"])
                st.markdown(f"### {format_figure(row, row, frame.lang)}")
                kind = frame.t(f"kind.{row['kind']}")
                st.caption(frame.t("home.card_source", producer=row[f"producer_{frame.lang}"], kind=kind))

    st.subheader(frame.t("home.chart_heading"))
    show_spec(frame, frame_chart(frame, "workload-split"))
    st.caption(frame.t("home.chart_note"))

    st.subheader(frame.t("home.map"))
    for section in SECTIONS:
        st.markdown(f"**{frame.t(f'nav.section.{section}')}**")
        pages = [p for p in PAGES if p.section == section]
        for start in range(0, len(pages), CARDS_PER_ROW):
            for column, page in zip(st.columns(CARDS_PER_ROW), pages[start : start + CARDS_PER_ROW], strict=False):
                with column, st.container(border=True, height="stretch"):
                    st.page_link(page.file, label=frame.t(page.title_key), icon=page.icon, query_params=frame.nav_params)
                    st.caption(frame.t(page.summary_key))


if __name__ == "__main__":
    home()
else:
    from contextlib import asynccontextmanager

    from starlette.middleware import Middleware

    from ui.http_api import ApiPathGuard, plotly_js_route, routes
    from ui.unknown_page import UnknownPageRedirect

    @asynccontextmanager
    async def lifespan(_app):
        # After the runtime has started: the first session's imports and database check begin now, in a
        # thread, while its browser is still loading the frontend (ui/warmup.py).
        from ui import warmup

        warmup.start()
        yield

    app = st.App(
        "app.py",
        routes=[*routes(), plotly_js_route()],  # the API, and plotly.js for the chart element (ui/plot_element.py)
        middleware=[Middleware(ApiPathGuard), Middleware(UnknownPageRedirect)],
        lifespan=lifespan,
    )
