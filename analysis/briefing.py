"""The briefing pack: a PowerPoint deck of the chosen charts, and a zip of their data and the scenario.

The deck has a cover (title, date, scenario, language), one slide per chart (title, one-line
takeaway, the chart, a footnote with its sources and the scenario's assumptions) and a closing
slide listing every source and anything that had to be left out. A chart with a native form
(`ChartSpec.native`) becomes an editable PowerPoint chart; any other chart becomes a picture drawn
by kaleido (`analysis.images`). If no picture can be drawn, the slide and the closing slide say so.

Everything visual comes from `analysis.deck_template`; this module decides only what goes where.
The app's page and `python -m analysis export` both call `build_pack` / `assemble_pack`.
"""

from __future__ import annotations

import io
import json
import re
import struct
import time
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date

import duckdb
import plotly.graph_objects as go
from lxml import etree
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_MARKER_STYLE, XL_TICK_LABEL_POSITION
from pptx.enum.shapes import MSO_SHAPE, PP_PLACEHOLDER
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Inches, Pt

from analysis import images
from analysis import scenario as sc
from analysis.chart_layout import Picture, lay_out, render, slide_medium
from analysis.charts import chart_file_name, full_source_text
from analysis.chartspec import ChartDef, ChartSpec, NativeChart, chart_defs
from analysis.db import query_memo
from analysis.deck_template import DEFAULT_TEMPLATE, Box, DeckTemplate
from analysis.i18n import LANG_NAMES, catalog, t
from analysis.sitemap import PAGES
from analysis.textsafe import csv_safe_frame

PACK_STEM = "compute-atlas_briefing"
SCENARIO_FILE = "scenario.json"
README_FILE = "README.txt"
SCENARIO_FORMAT = "compute-atlas-scenario"  # the "format" field analysis.scenario.to_json writes
MAX_SCENARIO_FILE_BYTES = 2_000_000  # a scenario is a few kB; anything larger is not one
IMAGE_MODES = ("auto", "never", "always")  # auto: native charts where possible, pictures for the rest
SHARE_TOTAL_PERCENT = 100.0
SHARE_TOLERANCE = 0.5  # stacked shares that add up to 100 ± this get a 0–100 axis

NATIVE_TYPES = {
    "line": XL_CHART_TYPE.LINE_MARKERS,
    "bar": XL_CHART_TYPE.BAR_CLUSTERED,
    "stacked_bar": XL_CHART_TYPE.BAR_STACKED,
    "column": XL_CHART_TYPE.COLUMN_CLUSTERED,
    "stacked_column": XL_CHART_TYPE.COLUMN_STACKED,
    "area": XL_CHART_TYPE.AREA,
    "stacked_area": XL_CHART_TYPE.AREA_STACKED,
}
STACKED_KINDS = frozenset({"stacked_bar", "stacked_column", "stacked_area"})
TITLE_TYPES = frozenset({PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE})
LINE_SPACING = 1.2  # a line's height in font sizes (PowerPoint's and LibreOffice's single spacing)
LATIN_EM = 0.55  # the average width of a Latin character in font sizes; a CJK character takes a whole one
POINTS_PER_INCH = 72

Progress = Callable[[int, int, str], None]  # (steps done, steps in all, what is being done)
SpecBuilder = Callable[[ChartDef], ChartSpec]


@dataclass(frozen=True)
class LeftOut:
    """A chart whose picture is not in the deck, and why (its data is still in the zip)."""

    slug: str
    title: str
    reason: str


@dataclass(frozen=True)
class BriefingPack:
    pptx: bytes
    zip: bytes
    slugs: tuple[str, ...]
    native_charts: int  # editable PowerPoint charts
    image_charts: int  # pictures drawn by kaleido
    left_out: tuple[LeftOut, ...]
    file_stem: str  # e.g. compute-atlas_briefing_en_2025-01-31

    @property
    def slide_count(self) -> int:
        return len(self.slugs) + 2


class ScenarioFileError(ValueError):
    """An uploaded file that holds no readable scenario; `code` picks the translated message."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(detail or code)
        self.code = code
        self.detail = detail


# ---------------------------------------------------------------- choosing and building charts


def select_charts(slugs: Iterable[str] | None = None) -> tuple[ChartDef, ...]:
    """The registered charts named by `slugs` (all when None) in the order of the app's pages, then of
    registration; ValueError for unknown ones."""
    page_order = {page.page_id: i for i, page in enumerate(PAGES)}
    defs = tuple(sorted(chart_defs(), key=lambda d: page_order.get(d.page_id, len(page_order))))
    if slugs is None:
        return defs
    wanted = list(dict.fromkeys(slugs))
    known = {d.slug for d in defs}
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise ValueError(f"unknown chart(s): {', '.join(unknown)}; available: {', '.join(sorted(known))}")
    if not wanted:
        raise ValueError("choose at least one chart")
    return tuple(d for d in defs if d.slug in wanted)


def build_specs(
    con: duckdb.DuckDBPyConnection,
    scenario_values: Mapping[str, object],
    lang: str,
    slugs: Iterable[str] | None = None,
    progress: Progress | None = None,
    *,
    build_spec: SpecBuilder | None = None,
) -> list[ChartSpec]:
    """Build the charts; `build_spec` replaces `ChartDef.build` (the app passes its cached builder)."""
    defs = select_charts(slugs)
    specs = []
    with query_memo():  # the charts read the same figures, units and names over and over
        for i, chart in enumerate(defs):
            _report(progress, i, len(defs), t(chart.title_key, lang))
            specs.append(build_spec(chart) if build_spec is not None else chart.build(con, scenario_values, lang))
    return specs


def build_pack(
    con: duckdb.DuckDBPyConnection | None,
    scenario_values: Mapping[str, object],
    lang: str,
    *,
    scenario_name: str = sc.BASELINE_NAME,
    slugs: Iterable[str] | None = None,
    images_mode: str = "auto",
    renderer: images.ImageRenderer | None = None,
    template: DeckTemplate = DEFAULT_TEMPLATE,
    progress: Progress | None = None,
    today: date | None = None,
    build_spec: SpecBuilder | None = None,
) -> BriefingPack:
    """Build the charts `slugs` (all by default) for this scenario and language, then the deck and the zip.

    `con` may be None when `build_spec` builds the charts (the app passes its cached `frame_chart`).
    """
    defs = select_charts(slugs)
    steps = len(defs) * 2 + 3  # build each chart, draw each slide, cover, closing slide, zip

    def spec_progress(done: int, _total: int, label: str) -> None:
        _report(progress, done, steps, label)

    specs = build_specs(con, scenario_values, lang, [d.slug for d in defs], spec_progress, build_spec=build_spec)

    def slide_progress(done: int, _total: int, label: str) -> None:
        _report(progress, len(defs) + done, steps, label)

    return assemble_pack(
        specs,
        scenario_name=scenario_name,
        scenario_values=scenario_values,
        lang=lang,
        images_mode=images_mode,
        renderer=renderer,
        template=template,
        progress=slide_progress,
        today=today,
    )


def assemble_pack(
    specs: Sequence[ChartSpec],
    *,
    scenario_name: str,
    scenario_values: Mapping[str, object],
    lang: str,
    images_mode: str = "auto",
    renderer: images.ImageRenderer | None = None,
    template: DeckTemplate = DEFAULT_TEMPLATE,
    progress: Progress | None = None,
    today: date | None = None,
) -> BriefingPack:
    """The deck and the zip from charts already built (the app passes its cached specs)."""
    if images_mode not in IMAGE_MODES:
        raise ValueError(f"images_mode must be one of {', '.join(IMAGE_MODES)}, not {images_mode!r}")
    if not specs:
        raise ValueError("choose at least one chart")
    scenario_values = {**sc.defaults(), **scenario_values}  # a parameter missing from the mapping is at its default
    today = today or date.today()
    steps = len(specs) + 3
    deck = _Deck(template, lang)
    _report(progress, 0, steps, t("briefing.step_cover", lang))
    in_charts = {label: value for spec in specs for label, value in (spec.assumptions or {}).items()}
    deck.cover(scenario_name, scenario_values, len(specs), today, in_charts)
    painter = _Painter(images_mode, renderer, template, lang)
    painter.prefetch(specs)
    slide_count = len(specs) + 2  # cover, one per chart, closing
    for i, spec in enumerate(specs, start=1):
        _report(progress, i, steps, spec.title)
        deck.chart_slide(spec, painter, scenario_name, i + 1, slide_count)
    _report(progress, len(specs) + 1, steps, t("briefing.step_closing", lang))
    deck.closing(specs, painter.left_out)
    pptx_bytes = deck.to_bytes()
    _report(progress, len(specs) + 2, steps, t("briefing.step_zip", lang))
    zip_bytes = build_zip(
        specs, scenario_name=scenario_name, scenario_values=scenario_values, lang=lang, left_out=painter.left_out
    )
    _report(progress, steps, steps, t("briefing.step_done", lang))
    return BriefingPack(
        pptx=pptx_bytes,
        zip=zip_bytes,
        slugs=tuple(s.slug for s in specs),
        native_charts=painter.native_count,
        image_charts=painter.image_count,
        left_out=tuple(painter.left_out),
        file_stem=pack_file_stem(lang, today),
    )


def pack_file_stem(lang: str, today: date | None = None) -> str:
    return f"{PACK_STEM}_{lang}_{(today or date.today()).isoformat()}"


def _report(progress: Progress | None, done: int, total: int, label: str) -> None:
    if progress is not None:
        progress(done, total, label)


# ---------------------------------------------------------------- the zip and reading a scenario back


def build_zip(
    specs: Sequence[ChartSpec],
    *,
    scenario_name: str,
    scenario_values: Mapping[str, object],
    lang: str,
    left_out: Sequence[LeftOut] = (),
) -> bytes:
    """Each chart's CSV (UTF-8 with BOM, for Excel), the scenario as JSON and a short README."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(SCENARIO_FILE, sc.to_json(scenario_name, scenario_values))
        csv_names = []
        for spec in specs:
            name = f"{chart_file_name(spec.slug, lang)}.csv"
            csv_names.append(f"{name}: {spec.title}")
            archive.writestr(name, csv_safe_frame(spec.data).to_csv(index=False).encode("utf-8-sig"))
        readme = t("briefing.zip_readme", lang, scenario=SCENARIO_FILE, files="\n".join(f"- {n}" for n in csv_names))
        if left_out:
            readme += (
                "\n\n"
                + t("briefing.left_out_title", lang)
                + "\n"
                + "\n".join(f"- {item.title}: {item.reason}" for item in left_out)
            )
        archive.writestr(README_FILE, readme.strip() + "\n")
    return buffer.getvalue()


def read_scenario_file(payload: bytes) -> tuple[str, dict[str, object], list[sc.ValueProblem]]:
    """(name, values, problems) from a briefing zip or a scenario JSON; ScenarioFileError if it holds none.

    The error's `code` (not_json, not_scenario, no_values, no_scenario, bad_zip, too_large) picks a
    translated message; `detail` is technical (a JSON parse position, a size) and may be shown with it.
    """
    is_zip = zipfile.is_zipfile(io.BytesIO(payload))
    if len(payload) > MAX_SCENARIO_FILE_BYTES and not is_zip:
        raise ScenarioFileError("too_large", _megabytes(len(payload)))
    text: bytes = payload
    if is_zip:
        try:
            with zipfile.ZipFile(io.BytesIO(payload)) as archive:
                members = [i for i in archive.infolist() if i.filename.rsplit("/", 1)[-1] == SCENARIO_FILE]
                if not members:
                    raise ScenarioFileError("no_scenario", SCENARIO_FILE)
                if members[0].file_size > MAX_SCENARIO_FILE_BYTES:
                    raise ScenarioFileError("too_large", _megabytes(members[0].file_size))
                text = archive.read(members[0])
        except (zipfile.BadZipFile, OSError) as exc:
            raise ScenarioFileError("bad_zip", str(exc)) from None
    try:
        body = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioFileError("not_json", str(exc)) from None
    if not isinstance(body, dict) or body.get("format") != SCENARIO_FORMAT:
        raise ScenarioFileError("not_scenario")
    if not isinstance(body.get("values"), dict):
        raise ScenarioFileError("no_values")
    try:
        return sc.from_json(text)
    except ValueError as exc:  # from_json checks the same things; kept as a safety net
        raise ScenarioFileError("not_scenario", str(exc)) from None


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


# ---------------------------------------------------------------- text helpers


def display_scenario_name(name: str, lang: str) -> str:
    if name == sc.BASELINE_NAME:
        return t("scenario.baseline", lang)
    return name or t("briefing.unsaved_scenario", lang)


def reopened_name(name: str, values: Mapping[str, object]) -> str:
    """The name a scenario read from a file is shown under: baseline only if every value is the baseline's."""
    if not sc.changed(values):
        return sc.BASELINE_NAME
    return "" if name == sc.BASELINE_NAME else name


def format_date(day: date, lang: str) -> str:
    month = t("briefing.month_names", lang).split(",")[day.month - 1]
    return t("briefing.date", lang, year=day.year, month=month, day=day.day)


def changed_assumptions(values: Mapping[str, object], lang: str, in_charts: Mapping[str, str] | None = None) -> list[str]:
    """'label: value' for every parameter that differs from the report's baseline.

    `in_charts` (label -> value from the charts' footnotes) lets a base value read in the unit its chart
    prints (USD bn rather than 亿美元), as the chart's own footnote does.
    """
    params = sc.all_params()
    lines = []
    for name, value in sc.changed(values, params).items():
        param = params[name]
        label = t(param.label_key, lang) if param.label_key else name
        shown = t(f"{param.label_key}.{value}", lang) if param.kind == "choice" else f"{param.to_text(value)}{param.unit}"
        chart_label = f"{param.label_key}_shown"
        if in_charts and chart_label in catalog(lang) and t(chart_label, lang) in in_charts:
            label = t(chart_label, lang)
            shown = in_charts[label]
        if param.kind == "bool":
            shown = t("briefing.on", lang) if value else t("briefing.off", lang)
        lines.append(t("briefing.assumption", lang, label=label, value=shown))
    return lines


def footnote_text(spec: ChartSpec, scenario_name: str, lang: str) -> str:
    """Sources, then the scenario and the assumptions this chart depends on."""
    lines = [full_source_text(spec.source_line, lang)]
    scenario_line = t("briefing.footnote_scenario", lang, name=display_scenario_name(scenario_name, lang))
    if spec.assumptions:
        assumptions = t("briefing.list_separator", lang).join(
            t("briefing.assumption", lang, label=label, value=value) for label, value in spec.assumptions.items()
        )
        scenario_line += t("briefing.footnote_assumptions", lang, assumptions=assumptions)
    lines.append(scenario_line)
    return "\n".join(lines)


def sources_with_slides(specs: Sequence[ChartSpec]) -> list[tuple[str, list[int]]]:
    """Each distinct source line, in order of first use, with the slide numbers of the charts citing it.

    Whole lines, not split: a producer's name may itself contain the separator the lines are joined with.
    """
    found: dict[str, list[int]] = {}
    for number, spec in enumerate(specs, start=2):  # slide 1 is the cover
        found.setdefault(spec.source_line.strip(), []).append(number)
    return list(found.items())


def source_entry(line: str, slides: Sequence[int], lang: str) -> str:
    key = "briefing.source_on_slide" if len(slides) == 1 else "briefing.source_on_slides"
    return t(key, lang, source=line, slides=t("briefing.number_separator", lang).join(str(n) for n in slides))


# ---------------------------------------------------------------- drawing


def text_width_pt(text: str, size_pt: float) -> float:
    """An estimate of the width of `text` set at `size_pt` (no font metrics at hand on a server)."""
    return sum(size_pt if ord(ch) >= 0x2E80 else size_pt * LATIN_EM for ch in text)


def lines_needed(text: str, width_in: float, size_pt: float) -> int:
    """Lines `text` wraps to in a box `width_in` wide, breaking at spaces (anywhere in Chinese)."""
    width_pt = width_in * POINTS_PER_INCH
    lines, used = 1, 0.0
    for token in re.findall(r"[\u2e80-\uffff]|[^\s\u2e80-\uffff]+|\s+", text):
        token_pt = text_width_pt(token, size_pt)
        if used and used + token_pt > width_pt and not token.isspace():
            lines, used = lines + 1, 0.0
        used += 0 if (token.isspace() and not used) else token_pt
    return lines


FIT_HEADROOM = 1.2


def fitting_font_pt(paragraphs: Sequence[str], box: Box, size_pt: float, min_pt: float) -> float:
    """The largest size from `size_pt` down (half points) at which the paragraphs fit the box; `min_pt` at least."""
    size = size_pt
    while size > min_pt:
        height_pt = sum(lines_needed(p, box.width, size) for p in paragraphs) * size * LINE_SPACING
        # Headroom: renderers break lines at other places than the estimate (CJK punctuation, Latin words).
        if height_pt * FIT_HEADROOM <= box.height * POINTS_PER_INCH:
            break
        size -= 0.5
    return max(size, min_pt)


def _rgb(colour: str) -> RGBColor:
    return RGBColor.from_string(colour.lstrip("#"))


def _set_font(font, template: DeckTemplate, *, size: float | None = None, colour: str | None = None, bold: bool | None = None):
    """Latin and East Asian typefaces (PowerPoint picks the East Asian one for Chinese characters)."""
    font.name = template.font_latin
    if size is not None:
        font.size = Pt(size)
    if colour is not None:
        font.color.rgb = _rgb(colour)
    if bold is not None:
        font.bold = bold
    rpr = font._rPr  # python-pptx has no API for <a:ea>
    latin = rpr.find(qn("a:latin"))
    east_asian = rpr.find(qn("a:ea"))
    if east_asian is None:
        east_asian = etree.SubElement(rpr, qn("a:ea"))
        latin.addnext(east_asian)
    east_asian.set("typeface", template.font_east_asian)


def _box(shapes, box: Box):
    return shapes.add_textbox(Inches(box.left), Inches(box.top), Inches(box.width), Inches(box.height))


class _Painter:
    """Decides native chart or picture for each spec, draws it, and records what could not be drawn."""

    def __init__(self, mode: str, renderer: images.ImageRenderer | None, template: DeckTemplate, lang: str):
        self.mode = mode
        self.lang = lang
        self.renderer = renderer
        self.template = template
        self.left_out: list[LeftOut] = []
        self.native_count = 0
        self.image_count = 0
        self._images_failed: str | None = None  # after one failure, do not wait for the browser again
        self._pictures: dict[int, tuple[bytes | None, str]] = {}  # drawn ahead by prefetch(), by id(spec)

    def _wants_picture(self, spec: ChartSpec) -> bool:
        native_ok = spec.native is not None and spec.native.kind in NATIVE_TYPES
        return self.mode == "always" or not native_ok

    def prefetch(self, specs: Sequence[ChartSpec]) -> None:
        """Draw every picture the deck needs before its slides, images.RENDER_TABS at a time and the slowest
        (a map, about 1.5 s) first, so the others are drawn meanwhile; `draw` then takes them from here."""
        wanted = [s for s in specs if self.mode != "never" and self._wants_picture(s)]
        if len(wanted) < 2:
            return
        wanted.sort(key=lambda s: s.figure.layout.map.style is None)  # maps first; sort keeps the rest in order
        with ThreadPoolExecutor(max_workers=images.RENDER_TABS) as pool:
            for spec, result in zip(wanted, pool.map(self._picture, wanted), strict=True):
                self._pictures[id(spec)] = result

    def draw(self, slide, spec: ChartSpec, lang: str) -> None:
        box = self.template.chart_box
        native_ok = spec.native is not None and spec.native.kind in NATIVE_TYPES
        want_image = self._wants_picture(spec)
        reason = ""
        if want_image and self.mode == "never":
            reason = t("briefing.reason_not_requested", lang)
        elif want_image:
            picture, reason = self._pictures.pop(id(spec), None) or self._picture(spec)
            if picture is not None:
                left, top, width, height = picture_box(picture, box)
                slide.shapes.add_picture(io.BytesIO(picture), Inches(left), Inches(top), Inches(width), Inches(height))
                self.image_count += 1
                return
        if native_ok:
            _native_chart(slide, spec.native, self.template)
            self.native_count += 1
            return
        if spec.native is not None:  # a native kind this module cannot draw, and no picture either
            reason = t("briefing.reason_unknown_kind", lang, kind=spec.native.kind) + " " + reason
        self.left_out.append(LeftOut(spec.slug, spec.title, reason))
        _placeholder(
            slide, t("briefing.chart_missing", lang, reason=reason, file=f"{chart_file_name(spec.slug, lang)}.csv"), self.template
        )

    def _picture(self, spec: ChartSpec) -> tuple[bytes | None, str]:
        if self._images_failed is not None:
            return None, self._images_failed
        tpl = self.template
        try:
            renderer = self.renderer or images.default_renderer()
            png = render(slide_picture(spec.figure, tpl), "png", scale=tpl.image_scale, renderer=renderer)
        except images.ImagesUnavailable as exc:
            self._images_failed = t("briefing.reason_no_images", self.lang, detail=str(exc))
            return None, self._images_failed
        return png, ""


def picture_box(png: bytes, box: Box) -> tuple[float, float, float, float]:
    """Left, top, width, height (inches) of a picture fitted whole into `box`, centred, never stretched: a
    picture laid out taller than the box (its plot needed the room) comes out narrower."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 24:
        return box.left, box.top, box.width, box.height
    width_px, height_px = struct.unpack(">II", png[16:24])
    if not width_px or not height_px:
        return box.left, box.top, box.width, box.height
    scale = min(box.width / width_px, box.height / height_px)
    width, height = width_px * scale, height_px * scale
    return box.left + (box.width - width) / 2, box.top + (box.height - height) / 2, width, height


def slide_picture(fig: go.Figure, template: DeckTemplate) -> Picture:
    """The app's figure laid out for the slide's picture (`analysis.chart_layout.slide_medium`): without title
    and source line (the slide carries both in its title and footnote), a map framed on the whole of China."""
    return lay_out(fig, slide_medium(template.image_width_px, template.image_height_px))


def _placeholder(slide, text: str, template: DeckTemplate) -> None:
    box = template.chart_box
    shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(box.left), Inches(box.top), Inches(box.width), Inches(box.height))
    shape.fill.solid()
    shape.fill.fore_color.rgb = _rgb(template.background)
    shape.line.color.rgb = _rgb(template.rule)
    shape.shadow.inherit = False
    frame = shape.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    paragraph = frame.paragraphs[0]
    run = paragraph.add_run()
    run.text = text
    _set_font(run.font, template, size=template.body_pt, colour=template.muted)


def _value_axis_max(native: NativeChart) -> float | None:
    """100 for stacked shares that add up to 100 in every category (PowerPoint would pick 120)."""
    if native.kind not in STACKED_KINDS:
        return None
    totals = [sum(s.values[i] or 0 for s in native.series) for i in range(len(native.categories))]
    if totals and all(abs(total - SHARE_TOTAL_PERCENT) <= SHARE_TOLERANCE for total in totals):
        return SHARE_TOTAL_PERCENT
    return None


def _native_chart(slide, native: NativeChart, template: DeckTemplate) -> None:
    data = CategoryChartData(number_format=native.number_format)
    data.categories = list(native.categories)
    for series in native.series:
        data.add_series(series.name, list(series.values))
    box = template.chart_box
    chart = slide.shapes.add_chart(
        NATIVE_TYPES[native.kind], Inches(box.left), Inches(box.top), Inches(box.width), Inches(box.height), data
    ).chart
    _set_font(chart.font, template, size=template.chart_pt, colour=template.ink)
    chart.has_title = False  # the slide carries the title; PowerPoint would add the series name
    chart.has_legend = len(native.series) > 1
    if chart.has_legend:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM if template.chart_legend_bottom else XL_LEGEND_POSITION.TOP
        chart.legend.include_in_layout = False
        _set_font(chart.legend.font, template, size=template.chart_legend_pt, colour=template.ink)
    value_axis = chart.value_axis
    value_axis.has_major_gridlines = template.chart_gridlines
    if template.chart_gridlines:
        value_axis.major_gridlines.format.line.color.rgb = _rgb(template.rule)
    value_axis.format.line.fill.background()
    value_axis.tick_labels.number_format = native.number_format
    value_axis.tick_labels.number_format_is_linked = False
    maximum = _value_axis_max(native)
    if maximum is not None:
        value_axis.maximum_scale = maximum
        value_axis.minimum_scale = 0
    if native.y_title:
        value_axis.has_title = True
        value_axis.axis_title.text_frame.text = native.y_title
        _set_font(
            value_axis.axis_title.text_frame.paragraphs[0].runs[0].font, template, size=template.chart_pt, colour=template.muted
        )
    chart.category_axis.format.line.color.rgb = _rgb(template.muted)
    if any(v is not None and v < 0 for s in native.series for v in s.values):
        chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW  # labels clear of bars below zero
    for i, series in enumerate(chart.plots[0].series):
        colour = _rgb(template.series_colours[i % len(template.series_colours)])
        if native.kind == "line":
            series.smooth = False
            series.format.line.color.rgb = colour
            series.format.line.width = Pt(template.chart_line_width_pt)
            series.marker.style = XL_MARKER_STYLE.CIRCLE
            series.marker.format.fill.solid()
            series.marker.format.fill.fore_color.rgb = colour
            series.marker.format.line.color.rgb = colour
        else:
            series.format.fill.solid()
            series.format.fill.fore_color.rgb = colour


class _Deck:
    def __init__(self, template: DeckTemplate, lang: str):
        self.template = template
        self.lang = lang
        self.prs = Presentation(template.base_presentation) if template.base_presentation else Presentation()
        if not template.base_presentation:
            self.prs.slide_width = Inches(template.slide_width)
            self.prs.slide_height = Inches(template.slide_height)
        self.prs.core_properties.title = t("briefing.deck_title", lang)
        self.prs.core_properties.author = t("app.name", lang)
        self.prs.core_properties.language = "zh-CN" if lang == "zh" else "en-GB"

    def _slide(self, title: str, box: Box, size: float):
        """A slide of the layout with a title placeholder, its title set there (outline view, screen readers
        and "reset slide" see it), moved to `box`; other placeholders of the layout are removed."""
        slide = self.prs.slides.add_slide(self.prs.slide_layouts[self.template.title_layout])
        for placeholder in list(slide.placeholders):
            if placeholder.placeholder_format.type not in TITLE_TYPES:
                placeholder._element.getparent().remove(placeholder._element)
        shape = slide.shapes.title
        shape.left, shape.top, shape.width, shape.height = (Inches(v) for v in (box.left, box.top, box.width, box.height))
        self._fill(shape, box, [title], size=size, colour=self.template.ink, bold=True, anchor=MSO_ANCHOR.BOTTOM)
        shape.text_frame.paragraphs[0].alignment = PP_ALIGN.LEFT
        return slide

    def _text(self, slide, box: Box, paragraphs: Sequence[str], *, size: float, colour: str, bold: bool = False, anchor=None):
        return self._fill(_box(slide.shapes, box), box, paragraphs, size=size, colour=colour, bold=bold, anchor=anchor)

    def _fill(self, shape, box: Box, paragraphs: Sequence[str], *, size: float, colour: str, bold: bool = False, anchor=None):
        """Write the paragraphs at `size` points, or smaller if that is what it takes to stay inside the box."""
        frame = shape.text_frame
        frame.word_wrap = True
        frame.auto_size = MSO_AUTO_SIZE.NONE
        for side in ("margin_left", "margin_right", "margin_top", "margin_bottom"):
            setattr(frame, side, Inches(self.template.text_inset))
        if anchor is not None:
            frame.vertical_anchor = anchor
        inner = replace(box, width=box.width - 2 * self.template.text_inset, height=box.height - 2 * self.template.text_inset)
        size = fitting_font_pt(paragraphs, inner, size, self.template.min_text_pt)
        frame.text = ""
        for i, text in enumerate(paragraphs):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            run = paragraph.add_run()
            run.text = text
            _set_font(run.font, self.template, size=size, colour=colour, bold=bold)
        return shape

    def _rule(self, slide, box: Box) -> None:
        bar = slide.shapes.add_shape(
            MSO_SHAPE.RECTANGLE, Inches(box.left), Inches(box.top), Inches(box.width), Inches(box.height)
        )
        bar.fill.solid()
        bar.fill.fore_color.rgb = _rgb(self.template.accent)
        bar.line.fill.background()

    def cover(
        self,
        scenario_name: str,
        scenario_values: Mapping[str, object],
        chart_count: int,
        today: date,
        in_charts: Mapping[str, str] | None = None,
    ) -> None:
        tpl, lang = self.template, self.lang
        slide = self._slide(t("briefing.deck_title", lang), tpl.cover_title_box, tpl.cover_title_pt)
        self._rule(slide, tpl.cover_rule_box)
        self._text(
            slide, tpl.cover_subtitle_box, [t("briefing.deck_subtitle", lang)], size=tpl.cover_subtitle_pt, colour=tpl.muted
        )
        meta = [
            t("briefing.meta_date", lang, date=format_date(today, lang)),
            t("briefing.meta_scenario", lang, name=display_scenario_name(scenario_name, lang)),
            t("briefing.meta_language", lang, language=LANG_NAMES[lang]),
            t("briefing.meta_charts", lang, count=chart_count),
        ]
        changed = changed_assumptions(scenario_values, lang, in_charts)
        meta.append(
            t("briefing.meta_changed", lang, items=t("briefing.list_separator", lang).join(changed))
            if changed
            else t("briefing.meta_unchanged", lang)
        )
        self._text(slide, tpl.cover_meta_box, meta, size=tpl.cover_meta_pt, colour=tpl.ink)

    def chart_slide(self, spec: ChartSpec, painter: _Painter, scenario_name: str, number: int, count: int) -> None:
        tpl, lang = self.template, self.lang
        slide = self._slide(spec.title, tpl.title_box, tpl.title_pt)
        self._rule(slide, tpl.accent_rule_box)
        self._text(slide, tpl.takeaway_box, [spec.takeaway], size=tpl.takeaway_pt, colour=tpl.accent)
        painter.draw(slide, spec, lang)
        footnote = footnote_text(spec, scenario_name, lang)
        self._text(
            slide, tpl.footnote_box, footnote.split("\n"), size=tpl.footnote_pt, colour=tpl.muted, anchor=MSO_ANCHOR.BOTTOM
        )
        self._text(
            slide,
            tpl.footer_box,
            [f"{t(tpl.footer_key, lang)} · {number}/{count}"],
            size=tpl.footer_pt,
            colour=tpl.muted,
            anchor=MSO_ANCHOR.BOTTOM,
        ).text_frame.paragraphs[0].alignment = PP_ALIGN.RIGHT
        slide.notes_slide.notes_text_frame.text = "\n\n".join(
            [spec.takeaway, footnote, t("briefing.notes_data", lang, file=f"{chart_file_name(spec.slug, lang)}.csv")]
        )

    def closing(self, specs: Sequence[ChartSpec], left_out: Sequence[LeftOut]) -> None:
        tpl, lang = self.template, self.lang
        slide = self._slide(t("briefing.sources_title", lang), tpl.closing_title_box, tpl.title_pt)
        self._rule(slide, tpl.accent_rule_box)
        sources = [f"• {source_entry(line, slides, lang)}" for line, slides in sources_with_slides(specs)]
        body = tpl.closing_body_box
        via_height = tpl.closing_note_height
        missing = [f"• {item.title}: {item.reason}" for item in left_out]
        missing_height = min(body.height / 2, tpl.closing_line_height * (len(missing) + 1)) if missing else 0.0
        list_height = body.height - via_height - missing_height
        columns = tpl.closing_columns if len(sources) > tpl.closing_items_per_column else 1
        size = tpl.closing_small_pt if len(sources) > tpl.closing_items_per_column else tpl.body_pt
        per_column = -(-len(sources) // columns)
        width = body.width / columns
        parts = [
            (
                sources[c * per_column : (c + 1) * per_column],
                replace(body, left=body.left + c * width, width=width - 0.1, height=list_height),
            )
            for c in range(columns)
        ]
        # One size for every column, small enough for the longest: a long list of sources must stay on the slide.
        size = min((fitting_font_pt(part, box, size, tpl.min_text_pt) for part, box in parts if part), default=size)
        for part, column_box in parts:
            if part:
                self._text(slide, column_box, part, size=size, colour=tpl.ink)
        if missing:
            missing_box = replace(body, top=body.top + list_height, height=missing_height)
            shape = self._text(
                slide, missing_box, [t("briefing.left_out_title", lang), *missing], size=tpl.closing_small_pt, colour=tpl.warning
            )
            shape.text_frame.paragraphs[0].runs[0].font.bold = True
        via_box = replace(body, top=body.top + body.height - via_height, height=via_height)
        self._text(
            slide,
            via_box,
            [t("briefing.sources_via", lang)],
            size=tpl.footnote_pt + 1,
            colour=tpl.muted,
            anchor=MSO_ANCHOR.BOTTOM,
        )

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.prs.save(buffer)
        return buffer.getvalue()


# ---------------------------------------------------------------- benchmark


def benchmark(con: duckdb.DuckDBPyConnection, lang: str = "en", *, repeats: int = 3) -> dict[str, float]:
    """Seconds to build a pack of every registered chart: without pictures, as the app does (auto), and
    with every chart as a picture from a warm browser; plus the browser's cold start. Not a test."""
    values = sc.defaults()
    timings: dict[str, float] = {"charts": float(len(chart_defs()))}

    def best(mode: str) -> float:
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            build_pack(con, values, lang, images_mode=mode)
            runs.append(time.perf_counter() - start)
        return min(runs)

    timings["no_images_s"] = best("never")
    renderer = images.default_renderer()
    start = time.perf_counter()
    try:
        renderer.render(go.Figure(), fmt="png", width=100, height=100)
        timings["browser_cold_start_s"] = time.perf_counter() - start
    except images.ImagesUnavailable:
        timings["browser_cold_start_s"] = float("nan")
    timings["auto_s"] = best("auto")
    timings["all_images_s"] = best("always")
    return timings
