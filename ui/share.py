"""The share panel under a registered chart: live addresses of its CSV and PNG, and an <img> for a wiki."""

from __future__ import annotations

from functools import cache

import streamlit as st

from analysis.api import base_url, chart_url, embed_snippet
from analysis.chart_export import figure_title
from ui.frame import Frame


@cache
def _registered_slugs() -> frozenset[str]:
    from analysis.chartspec import chart_defs

    return frozenset(c.slug for c in chart_defs())


def share_links(frame: Frame, spec) -> None:
    """A "Live links" popover; only for registered charts, whose address rebuilds exactly this chart."""
    if spec.slug not in _registered_slugs():
        return
    root = base_url(st.context.url or "", st.get_option("server.baseUrlPath") or "")
    csv_url = chart_url(root, spec.slug, "csv", frame.lang, frame.scenario)
    png_url = chart_url(root, spec.slug, "png", frame.lang, frame.scenario)
    with st.popover(frame.t("share.heading"), icon=":material/link:", help=frame.t("share.help"), key=f"share-{spec.slug}"):
        st.caption(frame.t("share.copy_help"))
        st.markdown(f"**{frame.t('share.csv')}**")
        st.code(csv_url, language=None, wrap_lines=True)
        st.markdown(f"**{frame.t('share.png')}**")
        st.code(png_url, language=None, wrap_lines=True)
        st.markdown(f"**{frame.t('share.embed')}**")
        st.code(embed_snippet(png_url, figure_title(spec.figure) or spec.title), language="html", wrap_lines=True)
        if not root:
            st.caption(frame.t("share.relative", base="/"))
