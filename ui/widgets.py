"""Chart display: the figure, its source line and its own data as CSV, always together."""

from __future__ import annotations

from functools import partial

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analysis import images
from analysis.chart_export import chart_html, chart_svg
from analysis.charts import chart_file_name, fit_layout, plotly_config
from analysis.textsafe import csv_safe_frame
from ui.frame import Frame
from ui.share import share_links


def csv_bytes(frame_df: pd.DataFrame) -> bytes:
    # utf-8-sig so Excel opens Chinese headers correctly; text cells such as a version's name cannot start a formula.
    return csv_safe_frame(frame_df).to_csv(index=False).encode("utf-8-sig")


def chart_key(slug: str) -> str:
    return f"chart-{slug}"


def show_chart(
    frame: Frame,
    fig: go.Figure,
    chart_data: pd.DataFrame,
    *,
    slug: str,
    source_line: str,
    on_select=None,
    key: str = "",
    laid_out: bool = False,
):
    """`on_select`: a callback run when a point is clicked (the event is in st.session_state[key or chart_key(slug)]).

    `laid_out`: `fig` is already fitted for the screen (a cached spec's screen_figure); it is shown as it is.
    """
    selection = {} if on_select is None else {"on_select": on_select, "selection_mode": "points"}
    if not laid_out:
        fig = fit_layout(fig)  # laid out for a phone's width too: nothing overlaps at 390 px
    # The source line is drawn in the figure (so a PNG carries it), once: it is not repeated under the chart.
    event = st.plotly_chart(fig, config=plotly_config(slug, frame.lang), key=key or chart_key(slug), **selection)
    stem = chart_file_name(slug, frame.lang)
    with st.container(horizontal=True, gap="small"):
        # Every file is made only when clicked (a callable `data`): nothing is encoded on a rerun, and no
        # file is registered that the next rerun would replace (a 404 for a button drawn in between).
        st.download_button(
            frame.t("chart.download_csv"),
            data=partial(csv_bytes, chart_data),
            file_name=f"{stem}.csv",
            mime="text/csv",
            key=f"csv-{slug}",
            icon=":material/download:",
            on_click="ignore",
            help=frame.t("chart.download_csv_help"),
        )
        # The HTML alone is about 5 MB.
        no_svg = images.unavailable_reason()
        st.download_button(
            frame.t("briefing.svg"),
            data=partial(chart_svg, fig),
            file_name=f"{stem}.svg",
            mime="image/svg+xml",
            key=f"svg-{slug}",
            icon=":material/image:",
            on_click="ignore",
            disabled=no_svg is not None,
            help=frame.t("briefing.svg_unavailable", reason=no_svg) if no_svg else frame.t("briefing.svg_help"),
        )
        st.download_button(
            frame.t("briefing.html"),
            data=partial(chart_html, fig, slug=slug, lang=frame.lang),
            file_name=f"{stem}.html",
            mime="text/html",
            key=f"html-{slug}",
            icon=":material/open_in_new:",
            on_click="ignore",
            help=frame.t("briefing.html_help"),
        )
    return event


def show_spec(frame: Frame, spec, *, on_select=None, key: str = ""):
    """Show a registered chart (`analysis.chartspec.ChartSpec`) with its source line, CSV and live links."""
    screen = spec.screen_figure  # set where the spec is cached (ui.frame): shown without a copy
    event = show_chart(
        frame,
        spec.figure if screen is None else screen,
        spec.data,
        slug=spec.slug,
        source_line=spec.source_line,
        on_select=on_select,
        key=key,
        laid_out=screen is not None,
    )
    share_links(frame, spec)
    return event
