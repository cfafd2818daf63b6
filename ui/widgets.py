"""Chart display: the figure, its source line and its own data as CSV, always together."""

from __future__ import annotations

import html
from collections.abc import Callable
from functools import cache, partial

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analysis import images
from analysis.chart_export import chart_html, chart_png, chart_svg
from analysis.chart_layout import SCREEN, is_off_axis, lay_out, screen_texts
from analysis.charts import chart_file_name, plotly_config
from analysis.scenario import defaults
from analysis.textsafe import csv_safe_frame, escape_markdown
from ui.frame import Frame
from ui.plot_element import plot_element
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
    screen_figure: go.Figure | None = None,
    subtitle: Callable[[], str | None] | None = None,
):
    """`on_select`: a callback run when a point is clicked (the event is in st.session_state[key or chart_key(slug)]).

    `fig` is the builder's figure: each medium lays it out for itself (`analysis.chart_layout`), the files here
    for a file. `screen_figure`: `fig` already laid out for the screen (a cached spec's), shown as it is.
    `subtitle`: makes what the exported pictures add under the title (the scenario shown), when one is asked for.
    """
    selection = {} if on_select is None else {"on_select": on_select}
    screen = screen_figure if screen_figure is not None else lay_out(fig, SCREEN).figure
    # The toolbar keeps no picture button: it would draw the screen's layout at the file's size. The
    # "Image (PNG)" download below is the file's layout, as the SVG and the live PNG link are.
    config = plotly_config(slug, frame.lang, image_button=False)
    event = screen_chart(frame, fig, screen, config=config, key=key or chart_key(slug), **selection)
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
            frame.t("export.png"),
            data=partial(_picture_file, chart_png, fig, subtitle),
            file_name=f"{stem}.png",
            mime="image/png",
            key=f"png-{slug}",
            icon=":material/image:",
            on_click="ignore",
            disabled=no_svg is not None,
            help=frame.t("export.png_unavailable", reason=no_svg) if no_svg else frame.t("export.png_help"),
        )
        st.download_button(
            frame.t("briefing.svg"),
            data=partial(_picture_file, chart_svg, fig, subtitle),
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


def _shown(text: str) -> str:
    # Plain text from a figure (user text in it is entity-escaped for plotly): shown literally by Markdown.
    return escape_markdown(html.unescape(text))


def screen_chart(frame: Frame, fig: go.Figure, screen: go.Figure, *, key: str, config: dict, **selection):
    """A figure on screen: its title (and subtitle) above it and its source line once under it, as text the
    browser wraps at the column's width (`analysis.chart_layout.screen_layout` leaves them out of `screen`)."""
    title, subtitle, source = screen_texts(fig)
    plain_title = html.unescape(title or "")
    with st.container(key=f"{key}-title"):
        if title:
            st.markdown(f"**{_shown(title)}**")
        if subtitle:
            st.caption(_shown(subtitle))
    event = plot_element(
        screen,
        key=key,
        config=config,
        title=plain_title,
        description=frame.t("chart.text_alternative", title=plain_title or frame.t("chart.untitled")),
        unavailable=frame.t("chart.plotly_unavailable"),
        on_select=selection.get("on_select"),
    )
    if any(is_off_axis(trace) for trace in screen.data):
        st.caption(frame.t("chart.off_axis_hidden"))
    if source:
        st.caption(_shown(source))
    return event


def show_spec(frame: Frame, spec, *, on_select=None, key: str = ""):
    """Show a registered chart (`analysis.chartspec.ChartSpec`) with its source line, CSV and live links."""
    event = show_chart(
        frame,
        spec.figure,
        spec.data,
        slug=spec.slug,
        source_line=spec.source_line,
        on_select=on_select,
        key=key,
        screen_figure=spec.screen_figure,  # set where the spec is cached (ui.frame): shown without a copy
        subtitle=export_subtitle(frame, spec),
    )
    share_links(frame, spec)
    return event


def export_subtitle(frame: Frame, spec) -> Callable[[], str | None]:
    """The scenario line of a registered chart's exported pictures, worked out when a file is asked for: the
    API's rule (`Api.picture_subtitle`), so a download and the chart's live PNG link say the same."""
    from ui import scenario as scenario_state

    return partial(_scenario_line, spec, dict(frame.scenario), scenario_state.current_name(), frame.lang)


@cache
def _api():
    from analysis.api import Api

    return Api()


def _scenario_line(spec, values: dict, name: str, lang: str) -> str | None:
    from analysis.chartspec import chart_def

    try:
        chart = chart_def(spec.slug)
    except ValueError:  # not registered: no scenario is known to apply
        return None
    return _api().picture_subtitle(chart, spec, {**defaults(), **values}, name, lang)


def _picture_file(make: Callable[..., bytes], fig: go.Figure, subtitle: Callable[[], str | None] | None) -> bytes:
    return make(fig, subtitle=subtitle() if subtitle is not None else None)
