"""Briefing export: pick charts from every page, build a PowerPoint deck and a data zip, reopen a scenario."""

import streamlit as st

from analysis import briefing
from analysis.chartspec import chart_defs
from analysis.i18n import LANG_NAMES
from analysis.sitemap import PAGES
from analysis.textsafe import escape_markdown
from ui import scenario as scenario_state
from ui.choice import relabel
from ui.frame import frame_chart, interactive_section, page_frame
from ui.scenario_file import scenario_loader

PACK_KEY = "briefing.pack"  # (what it was built for, BriefingPack)
PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


frame = page_frame("briefing")
st.title(frame.t("page.briefing.title"))
st.caption(frame.t("page.briefing.summary"))
scenario_name = scenario_state.current_name()
current = frame.t(
    "briefing.current",
    name=escape_markdown(briefing.display_scenario_name(scenario_name, frame.lang)),
    language=LANG_NAMES[frame.lang],
)
st.info(current, icon=":material/tune:")


# Picking charts and building the pack change this section only; reopening a scenario from a file (below) reruns the page.
@interactive_section
def pack_section() -> None:
    defs = chart_defs()
    chosen: list[str] = []
    with st.container(border=True):
        st.markdown(f"**{frame.t('briefing.pick_heading')}**")
        for page in PAGES:
            titles = {d.slug: frame.t(d.title_key) for d in defs if d.page_id == page.page_id}
            if titles:
                relabel(f"briefing.pick.{page.page_id}", frame.lang, titles, default=list(titles))
                chosen += st.multiselect(
                    frame.t(page.title_key),
                    options=list(titles),
                    format_func=titles.get,
                    key=f"briefing.pick.{page.page_id}",
                    help=frame.t("briefing.pick_help"),
                )
        st.caption(frame.t("briefing.pick_count", count=len(chosen), total=len(defs), slides=len(chosen) + 2))

    request = (tuple(chosen), tuple(sorted(frame.scenario.items())), frame.lang, scenario_name)
    build = st.button(
        frame.t("briefing.build"),
        type="primary",
        icon=":material/slideshow:",
        disabled=not chosen,
        key="briefing.build",
        help=frame.t("briefing.build_help"),
    )
    if not chosen:
        st.caption(frame.t("briefing.none_selected"))
    if build and chosen:
        bar = st.progress(0.0)

        def show_progress(done: int, total: int, label: str) -> None:
            bar.progress(done / total, text=frame.t("briefing.building", label=label, done=done, total=total))

        try:
            pack = briefing.build_pack(
                None,
                frame.scenario,
                frame.lang,
                scenario_name=scenario_name,
                slugs=chosen,
                progress=show_progress,
                build_spec=lambda chart: frame_chart(frame, chart.slug),
            )
            st.session_state[PACK_KEY] = (request, pack)
        except Exception as exc:  # never a traceback: say what failed, keep the page usable
            st.error(frame.t("briefing.failed", detail=str(exc) or type(exc).__name__))
        bar.empty()

    stored = st.session_state.get(PACK_KEY)
    if stored is not None and stored[0] != request:
        st.info(frame.t("briefing.stale"), icon=":material/update:")
    elif stored is not None:
        pack = stored[1]
        st.success(frame.t("briefing.built", slides=pack.slide_count, native=pack.native_charts, images=pack.image_charts))
        if pack.left_out:
            st.warning(
                frame.t("briefing.left_out_warning")
                + "\n"
                + "\n".join(f"- {item.title}: {item.reason}" for item in pack.left_out)
            )
        with st.container(horizontal=True, gap="small"):
            st.download_button(
                frame.t("briefing.download_pptx"),
                data=pack.pptx,
                file_name=f"{pack.file_stem}.pptx",
                mime=PPTX_MIME,
                key="briefing.download_pptx",
                icon=":material/download:",
                on_click="ignore",
                help=frame.t("briefing.download_pptx_help"),
            )
            st.download_button(
                frame.t("briefing.download_zip"),
                data=pack.zip,
                file_name=f"{pack.file_stem}.zip",
                mime="application/zip",
                key="briefing.download_zip",
                icon=":material/folder_zip:",
                on_click="ignore",
                help=frame.t("briefing.download_zip_help"),
            )


pack_section()

st.subheader(frame.t("briefing.loader_heading"))
scenario_loader(frame.lang)
