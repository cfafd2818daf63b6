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

import html
import io
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
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.enum.shapes import MSO_SHAPE, PP_PLACEHOLDER
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Inches, Pt

from analysis import images, safejson
from analysis import scenario as sc
from analysis.chart_layout import Picture, lay_out, render, slide_medium
from analysis.charts import chart_file_name, full_source_text, tint
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
# What the briefing page's uploader takes, all checked before anything is parsed or unpacked. A pack of every
# chart is about 17 kB with 20 entries, 52 kB unpacked (7 Dec 2026); a 52 MB zip of 600,000 entries took the
# server from 274 to 628 MB just to list them, so the zip's own directory is read first (its end record).
MAX_UPLOAD_MB = 5  # also the uploader's limit and .streamlit/config.toml server.maxUploadSize
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 2**20
MAX_ZIP_ENTRIES = 200
MAX_ZIP_DIRECTORY_BYTES = MAX_ZIP_ENTRIES * 1024  # the list of entries zipfile would read (46 bytes + name each)
MAX_ZIP_UNPACKED_BYTES = 20_000_000  # all entries together, as the zip declares them
# The numbers the refusals name (briefing.file_error.*).
FILE_ERROR_LIMITS = {
    "max_depth": safejson.MAX_DEPTH,
    "max_digits": safejson.MAX_INT_DIGITS,
    "max_entries": MAX_ZIP_ENTRIES,
    "max_unpacked_mb": MAX_ZIP_UNPACKED_BYTES // 1_000_000,
    "max_name": sc.MAX_NAME_CHARS,
}
_ZIP_END = struct.Struct("<4s4H2LH")  # end of central directory record: signature … entries, directory size
_ZIP_END_SIGNATURE = b"PK\x05\x06"
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
    document_slides: int = 0  # slides listing the later figures' documents, before the sources slide

    @property
    def slide_count(self) -> int:
        return len(self.slugs) + 2 + self.document_slides


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
    document_pages = deck.document_pages(later_documents(specs, lang))
    slide_count = len(specs) + 2 + len(document_pages)  # cover, one per chart, later documents, sources
    for i, spec in enumerate(specs, start=1):
        _report(progress, i, steps, spec.title)
        deck.chart_slide(spec, painter, scenario_name, i + 1, slide_count)
    _report(progress, len(specs) + 1, steps, t("briefing.step_closing", lang))
    for k, page in enumerate(document_pages):
        deck.documents(page, len(specs) + 2 + k, slide_count)
    deck.closing(specs, painter.left_out, slide_count)
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
        document_slides=len(document_pages),
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

    The error's `code` (not_json, not_scenario, no_values, no_scenario, bad_zip, too_large, too_many_entries,
    unpacked_too_large, too_deep, number_too_long, name_too_long) picks a translated message; `detail` is
    technical (a JSON parse position, a size) and may be shown with it. Every limit is checked before the
    part it guards is parsed or unpacked: the upload's size, the zip's entries (from its end record), what
    the entries declare they unpack to, the JSON's nesting and its numbers' digits (analysis.safejson).
    """
    if len(payload) > MAX_UPLOAD_BYTES:
        raise ScenarioFileError("too_large", _megabytes(len(payload)))
    is_zip = zipfile.is_zipfile(io.BytesIO(payload))
    if len(payload) > MAX_SCENARIO_FILE_BYTES and not is_zip:
        raise ScenarioFileError("too_large", _megabytes(len(payload)))
    text: bytes = payload
    if is_zip:
        _check_zip_directory(payload)
        try:
            with zipfile.ZipFile(io.BytesIO(payload)) as archive:
                entries = archive.infolist()
                if len(entries) > MAX_ZIP_ENTRIES:
                    raise ScenarioFileError("too_many_entries", f"{len(entries):,}")
                if sum(i.file_size for i in entries) > MAX_ZIP_UNPACKED_BYTES:
                    raise ScenarioFileError("unpacked_too_large", _megabytes(sum(i.file_size for i in entries)))
                members = [i for i in entries if i.filename.rsplit("/", 1)[-1] == SCENARIO_FILE]
                if not members:
                    raise ScenarioFileError("no_scenario", SCENARIO_FILE)
                if members[0].file_size > MAX_SCENARIO_FILE_BYTES:
                    raise ScenarioFileError("too_large", _megabytes(members[0].file_size))
                text = archive.read(members[0])  # zipfile stops at the declared size and checks the CRC
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
            raise ScenarioFileError("bad_zip", str(exc)) from None
    try:
        body = safejson.loads(text)
    except safejson.UnsafeJSON as exc:
        code = {"too_deep": "too_deep", "int_too_long": "number_too_long"}.get(exc.code, "not_json")
        raise ScenarioFileError(code, str(exc)) from None
    if not isinstance(body, dict) or body.get("format") != SCENARIO_FORMAT:
        raise ScenarioFileError("not_scenario")
    if not isinstance(body.get("values"), dict):
        raise ScenarioFileError("no_values")
    name = body.get("name")
    if isinstance(name, str) and len(name) > sc.MAX_NAME_CHARS:  # it would go into the page's URL
        raise ScenarioFileError("name_too_long", f"{len(name):,}")
    try:
        return sc.from_json(text)
    except ValueError as exc:  # from_json checks the same things; kept as a safety net
        raise ScenarioFileError("not_scenario", str(exc)) from None


def _check_zip_directory(payload: bytes) -> None:
    """Refuse a zip whose directory lists more than MAX_ZIP_ENTRIES entries, read from its end record
    (the last 22 bytes plus any comment) before zipfile builds an object for every entry."""
    end = payload.rfind(_ZIP_END_SIGNATURE, max(0, len(payload) - _ZIP_END.size - 0xFFFF))
    if end < 0 or end + _ZIP_END.size > len(payload):
        raise ScenarioFileError("bad_zip", "no end of central directory")
    *_, entries, directory_bytes, _offset, _comment = _ZIP_END.unpack_from(payload, end)
    # 0xFFFF / 0xFFFFFFFF mean "see the zip64 record": only a zip of more than 65,535 entries or 4 GB needs one.
    if entries > MAX_ZIP_ENTRIES or directory_bytes > MAX_ZIP_DIRECTORY_BYTES:
        raise ScenarioFileError("too_many_entries", f"{entries:,}" if entries != 0xFFFF else "65,535+")


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


# ---------------------------------------------------------------- text helpers

_PLOTLY_BREAK = re.compile(r"\s*<br\s*/?>\s*", re.IGNORECASE)
_PLOTLY_TAG = re.compile(r"</?(?:b|i|em|strong|sup|sub|span|a)(?:\s[^<>]*)?>", re.IGNORECASE)
PLAIN_BREAK = " · "  # a figure label's line break, in a deck's one-line label


def plain_text(text: str) -> str:
    """A figure's text as a slide shows it: plotly's tags out (a line break becomes " · "), entities as the
    characters they stand for. A deck is not HTML: `<br>` or `&lt;` in it would be printed as such."""
    return html.unescape(_PLOTLY_TAG.sub("", _PLOTLY_BREAK.sub(PLAIN_BREAK, text)))


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
    lines = [plain_text(full_source_text(spec.source_line, lang))]
    scenario_line = t("briefing.footnote_scenario", lang, name=display_scenario_name(scenario_name, lang))
    if spec.assumptions:
        assumptions = t("briefing.list_separator", lang).join(
            t("briefing.assumption", lang, label=plain_text(label), value=plain_text(value))
            for label, value in spec.assumptions.items()
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


def later_documents(specs: Sequence[ChartSpec], lang: str) -> list[str]:
    """'• document, edition: URL (slides n, m)' for each document a later figure in the charts' data comes from,
    in order of first use (from the CSV columns `market.long_data` writes; charts without them give none)."""
    columns = {c: t(f"market.csv.{c}", lang) for c in ("line_code", "document", "edition", "url")}
    found: dict[tuple[str, str, str], list[int]] = {}
    for number, spec in enumerate(specs, start=2):
        data = spec.data
        if not set(columns.values()) <= set(data.columns):
            continue
        rows = data[data[columns["line_code"]] == "later"]
        for document, edition, url in zip(rows[columns["document"]], rows[columns["edition"]], rows[columns["url"]], strict=True):
            slides = found.setdefault((str(document), str(edition), str(url)), [])
            if number not in slides:
                slides.append(number)
    return [
        "• " + source_entry(t("briefing.document_entry", lang, document=document, edition=edition, url=url), slides, lang)
        for (document, edition, url), slides in found.items()
    ]


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
BAR_LABEL_SHARE = 0.8  # of a bar chart's height, what its category labels may take (the rest: axis, legend)


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


@dataclass(frozen=True)
class SlideLayout:
    takeaway: Box
    takeaway_pt: float
    chart: Box
    footnote: Box


def _text_height(paragraphs: Sequence[str], width: float, size_pt: float, template: DeckTemplate) -> float:
    """Inches the paragraphs take at `size_pt` in a box `width` wide, insets and headroom included."""
    inner = width - 2 * template.text_inset
    lines = sum(lines_needed(p, inner, size_pt) for p in paragraphs)
    return lines * size_pt * LINE_SPACING * FIT_HEADROOM / POINTS_PER_INCH + 2 * template.text_inset


def slide_layout(takeaway: str, footnote: Sequence[str], template: DeckTemplate) -> SlideLayout:
    """Where a chart slide's takeaway, chart and footnote go.

    Text is never set below `template.min_text_pt`, nor a takeaway below `takeaway_min_pt`: a takeaway that
    does not fit its box at that size takes more height, and so does a footnote at `footnote_pt`; the chart
    gets what is left between them (its gaps to both are kept).
    """
    tpl = template
    size = tpl.takeaway_pt
    floor = max(tpl.takeaway_min_pt, tpl.min_text_pt)
    while size > floor and _text_height([takeaway], tpl.takeaway_box.width, size, tpl) > tpl.takeaway_box.height:
        size -= 0.5
    size = max(size, floor)
    # Longer still: smaller type down to min_text_pt rather than more than takeaway_max_height of the slide.
    while size > tpl.min_text_pt and _text_height([takeaway], tpl.takeaway_box.width, size, tpl) > tpl.takeaway_max_height:
        size -= 0.5
    size = max(size, tpl.min_text_pt)
    take = replace(
        tpl.takeaway_box, height=max(tpl.takeaway_box.height, _text_height([takeaway], tpl.takeaway_box.width, size, tpl))
    )
    foot_height = max(tpl.footnote_box.height, _text_height(footnote, tpl.footnote_box.width, tpl.footnote_pt, tpl))
    foot_bottom = tpl.footnote_box.top + tpl.footnote_box.height
    foot = replace(tpl.footnote_box, top=foot_bottom - foot_height, height=foot_height)
    gap_above = tpl.chart_box.top - (tpl.takeaway_box.top + tpl.takeaway_box.height)
    gap_below = tpl.footnote_box.top - (tpl.chart_box.top + tpl.chart_box.height)
    top = max(tpl.chart_box.top, take.top + take.height + gap_above)
    bottom = min(tpl.chart_box.top + tpl.chart_box.height, foot.top - gap_below)
    return SlideLayout(take, size, replace(tpl.chart_box, top=top, height=bottom - top), foot)


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

    def draw(self, slide, spec: ChartSpec, lang: str, box: Box | None = None) -> None:
        box = box or self.template.chart_box
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
            _native_chart(slide, spec.native, self.template, spec.figure, box)
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


def _native_chart(slide, native: NativeChart, template: DeckTemplate, figure: go.Figure | None, box: Box) -> None:
    looks = series_looks(native, figure) if native.kind == "line" and figure is not None else None
    order = list(range(len(native.series)))
    if looks is not None:
        order.sort(key=lambda k: looks[k].order)  # drawn in the figure's order: the report's points on top
    data = CategoryChartData(number_format=native.number_format)
    data.categories = [plain_text(c) for c in native.categories]
    for k in order:
        name = looks[k].name if looks is not None else native.series[k].name
        data.add_series(plain_text(name), list(native.series[k].values))
    chart = slide.shapes.add_chart(
        NATIVE_TYPES[native.kind], Inches(box.left), Inches(box.top), Inches(box.width), Inches(box.height), data
    ).chart
    _set_font(chart.font, template, size=template.chart_pt, colour=template.ink)
    chart.has_title = False  # the slide carries the title; PowerPoint would add the series name
    hidden = [i for i, k in enumerate(order) if looks is not None and not looks[k].in_legend]
    chart.has_legend = len(native.series) - len(hidden) > 1
    if chart.has_legend:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM if template.chart_legend_bottom else XL_LEGEND_POSITION.TOP
        chart.legend.include_in_layout = False
        _set_font(chart.legend.font, template, size=template.chart_legend_pt, colour=template.ink)
        _hide_legend_entries(chart, hidden)
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
        value_axis.axis_title.text_frame.text = plain_text(native.y_title)
        _set_font(
            value_axis.axis_title.text_frame.paragraphs[0].runs[0].font, template, size=template.chart_pt, colour=template.muted
        )
    chart.category_axis.format.line.color.rgb = _rgb(template.muted)
    if native.kind in ("bar", "stacked_bar"):  # one line per category label, as many as the height takes
        room_pt = box.height * POINTS_PER_INCH * BAR_LABEL_SHARE / max(1, len(native.categories))
        label_pt = max(template.min_text_pt, min(template.chart_pt, room_pt / (LINE_SPACING * FIT_HEADROOM)))
        chart.category_axis.tick_labels.font.size = Pt(label_pt)
    if any(v is not None and v < 0 for s in native.series for v in s.values):
        chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW  # labels clear of bars below zero
    for i, series in enumerate(chart.plots[0].series):
        k = order[i]
        default_colour = template.series_colours[k % len(template.series_colours)]
        if looks is not None:
            _style_line_series(series, looks[k], default_colour, template)
        elif native.kind == "line":
            _style_line_series(series, SeriesLook(series.name), default_colour, template)
        else:
            series.format.fill.solid()
            series.format.fill.fore_color.rgb = _rgb(default_colour)


# ---------------------------------------------------------------- native line charts drawn as on screen

PX_TO_PT = 0.75  # plotly's pixels at 96 dpi
BAND_EDGE_ALPHA_FACTOR = 3.0  # a band's edges drawn as lines: its fill colour, three times as opaque
BAND_EDGE_WIDTH_PT = 1.0
MIN_LINE_PT = 0.75
VALUE_MATCH = 1e-3  # relative: a native series may hold values rounded for display (2 decimals)
VALUE_MATCH_ABS = 0.006
OPEN_MARKER_TINT = 0.6  # an open marker: its colour mixed with this share of white (LibreOffice draws no marker edge)
PLOTLY_DASHES = {
    "dot": MSO_LINE_DASH_STYLE.ROUND_DOT,
    "dash": MSO_LINE_DASH_STYLE.DASH,
    "longdash": MSO_LINE_DASH_STYLE.LONG_DASH,
    "dashdot": MSO_LINE_DASH_STYLE.DASH_DOT,
    "longdashdot": MSO_LINE_DASH_STYLE.LONG_DASH_DOT,
}
PLOTLY_MARKERS = {
    "circle": XL_MARKER_STYLE.CIRCLE,
    "diamond": XL_MARKER_STYLE.DIAMOND,
    "square": XL_MARKER_STYLE.SQUARE,
    "star": XL_MARKER_STYLE.STAR,
    "triangle-up": XL_MARKER_STYLE.TRIANGLE,
    "x": XL_MARKER_STYLE.X,
    "cross": XL_MARKER_STYLE.PLUS,
}
_COLOUR = re.compile(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*([\d.]+)\s*)?\)")


@dataclass(frozen=True)
class SeriesLook:
    """How a native line chart draws one series: the style of the trace that shows it in the app's figure."""

    name: str  # the legend's name (the trace's; a band's upper edge carries the band's name, as on screen)
    colour: str | None = None  # "#rrggbb"; None: the template's colour for this position
    alpha: float = 1.0
    line: bool = True
    width_pt: float | None = None  # None: the template's line width
    dash: str | None = None  # plotly's dash name; None: solid
    markers: tuple[str | None, ...] | None = ("circle",)  # plotly symbol per point (one for all); None in it: no marker
    marker_pt: float | None = None
    in_legend: bool = True
    band: bool = False
    order: int = 0  # drawing order: the trace's position in the figure (later ones are drawn on top)


def _colour(value: object) -> tuple[str | None, float]:
    """'#rrggbb' and opacity from a plotly colour ('#abc', '#aabbcc', 'rgb()', 'rgba()'); (None, 1) otherwise."""
    if not isinstance(value, str):
        return None, 1.0
    text = value.strip()
    if re.fullmatch(r"#[0-9a-fA-F]{6}", text):
        return text.lower(), 1.0
    if re.fullmatch(r"#[0-9a-fA-F]{3}", text):
        return "#" + "".join(c * 2 for c in text[1:]).lower(), 1.0
    match = _COLOUR.fullmatch(text)
    if match:
        r, g, b, a = match.groups()
        return f"#{int(r):02x}{int(g):02x}{int(b):02x}", float(a) if a is not None else 1.0
    return None, 1.0


def _is_array(value: object) -> bool:
    """A per-point property (plotly keeps lists as tuples, numpy arrays as they are)."""
    return value is not None and not isinstance(value, str) and hasattr(value, "__len__")


def _category(x: object) -> str:
    """A trace's x as the native chart's category (years are categories '2021', …)."""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def _trace_points(trace) -> dict[str, float]:
    xs, ys = trace.x, trace.y
    if xs is None or ys is None:
        return {}
    return {_category(x): y for x, y in zip(xs, ys, strict=False)}


def _same_values(native_values: Sequence[float | None], categories: Sequence[str], points: Mapping[str, float]) -> bool:
    shown = {c: v for c, v in zip(categories, native_values, strict=True) if v is not None}
    if not shown or set(shown) != {c for c in points if c in set(categories)}:
        return False
    return all(
        points[c] is not None and abs(float(points[c]) - v) <= max(VALUE_MATCH_ABS, VALUE_MATCH * abs(v))
        for c, v in shown.items()
    )


def series_looks(native: NativeChart, figure: go.Figure) -> list[SeriesLook]:
    """The look of each series of a native line chart, from the figure the app shows.

    A series is the trace of the same name, else the trace that draws the same values (a band's upper edge
    carries the band's name on screen). Lines, dashes, widths, colours and marker symbols are the trace's; a
    band (a trace filled to the one before it) becomes its two edges in the fill's colour, named once; what
    the screen leaves out of the legend stays out of it. A series with no trace keeps the template's look.
    """
    traces = [tr for tr in figure.data if tr.type == "scatter"]
    bands = {i - 1 for i, tr in enumerate(traces) if i > 0 and (tr.fill or "").startswith("tonext")}
    bands |= {i for i, tr in enumerate(traces) if (tr.fill or "").startswith("tonext")}
    by_name: dict[str, int] = {}
    for i, tr in enumerate(traces):
        by_name.setdefault(tr.name or "", i)
    used: set[int] = set()
    matches: list[int | None] = []
    for series in native.series:
        i = by_name.get(series.name)
        if i is None or i in used:
            i = next(
                (
                    j
                    for j, tr in enumerate(traces)
                    if j not in used and _same_values(series.values, native.categories, _trace_points(tr))
                ),
                None,
            )
        if i is not None:
            used.add(i)
        matches.append(i)
    looks = []
    for position, (series, i) in enumerate(zip(native.series, matches, strict=True)):
        if i is None:
            looks.append(SeriesLook(series.name, order=len(traces) + position))
            continue
        tr = traces[i]
        if i in bands:
            upper = i if (tr.fill or "").startswith("tonext") else i + 1
            colour, alpha = _colour(traces[upper].fillcolor)
            looks.append(
                SeriesLook(
                    traces[upper].name or series.name,
                    colour,
                    min(1.0, alpha * BAND_EDGE_ALPHA_FACTOR),
                    width_pt=BAND_EDGE_WIDTH_PT,
                    markers=None,
                    in_legend=i == upper and traces[upper].showlegend is not False,
                    band=True,
                    order=i,
                )
            )
            continue
        mode = tr.mode or "lines+markers"
        line_colour, line_alpha = _colour(tr.line.color)
        marker_colour, marker_alpha = _colour(tr.marker.color)
        width = tr.line.width
        has_line = "lines" in mode and (width is None or width > 0)
        markers = None
        if "markers" in mode:
            symbols = tr.marker.symbol
            sizes = tr.marker.size
            per_point: dict[str, str | None] = {}
            for k, x in enumerate(tr.x if tr.x is not None else ()):
                symbol = symbols[k] if _is_array(symbols) else (symbols or "circle")
                size = sizes[k] if _is_array(sizes) else sizes
                per_point.setdefault(_category(x), None if size == 0 else symbol)
            markers = tuple(per_point.get(c) for c in native.categories)
        size = tr.marker.size
        marker_pt = (max(size) if _is_array(size) else size) if size is not None and (not _is_array(size) or len(size)) else None
        looks.append(
            SeriesLook(
                tr.name or series.name,
                line_colour or marker_colour,
                line_alpha if line_colour else marker_alpha,
                line=has_line,
                width_pt=max(MIN_LINE_PT, width * PX_TO_PT) if has_line and width else None,
                dash=tr.line.dash if tr.line.dash in PLOTLY_DASHES else None,
                markers=markers,
                marker_pt=marker_pt * PX_TO_PT if marker_pt else None,
                in_legend=tr.showlegend is not False,
                order=i,
            )
        )
    return looks


def _style_line_series(series, look: SeriesLook, default_colour: str, template: DeckTemplate) -> None:
    colour = look.colour or default_colour
    series.smooth = False
    line = series.format.line
    if look.line:
        line.color.rgb = _rgb(colour)
        line.width = Pt(look.width_pt or template.chart_line_width_pt)
        line.dash_style = PLOTLY_DASHES.get(look.dash or "", MSO_LINE_DASH_STYLE.SOLID)
        _line_alpha(series, look.alpha)
    else:
        line.fill.background()
    symbols = look.markers or ()
    first = next((s for s in symbols if s), None)
    if first is None:
        series.marker.style = XL_MARKER_STYLE.NONE
        return
    _style_marker(series.marker, first, colour, look)
    for k, symbol in enumerate(symbols):
        if symbol != first:
            point_marker = series.points[k].marker
            if symbol is None:
                point_marker.style = XL_MARKER_STYLE.NONE
            else:
                _style_marker(point_marker, symbol, colour, look)


def _line_alpha(series, alpha: float) -> None:
    """Opacity on the series' line colour (python-pptx has no API for <a:alpha>)."""
    if alpha >= 1:
        return
    ln = series.format.line._get_or_add_ln()
    clr = ln.find(".//" + qn("a:srgbClr"))
    if clr is not None:
        etree.SubElement(clr, qn("a:alpha")).set("val", str(round(alpha * 100_000)))


def _style_marker(marker, symbol: str, colour: str, look: SeriesLook) -> None:
    base = symbol.removesuffix("-open")
    marker.style = PLOTLY_MARKERS.get(base, XL_MARKER_STYLE.CIRCLE)
    if look.marker_pt:
        marker.size = max(2, min(72, round(look.marker_pt)))
    marker.format.fill.solid()
    marker.format.fill.fore_color.rgb = _rgb(tint(colour, OPEN_MARKER_TINT) if symbol.endswith("-open") else colour)
    marker.format.line.color.rgb = _rgb(colour)


def _hide_legend_entries(chart, hidden: Sequence[int]) -> None:
    """Leave series out of the legend (python-pptx has no API for <c:legendEntry>)."""
    legend = chart.legend._element
    anchor = legend.find(qn("c:legendPos"))
    for idx in sorted(hidden, reverse=True):
        entry = etree.Element(qn("c:legendEntry"))
        etree.SubElement(entry, qn("c:idx")).set("val", str(idx))
        etree.SubElement(entry, qn("c:delete")).set("val", "1")
        if anchor is not None:
            anchor.addnext(entry)
        else:
            legend.insert(0, entry)


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
        title, takeaway = plain_text(spec.title), plain_text(spec.takeaway)
        slide = self._slide(title, tpl.title_box, tpl.title_pt)
        self._rule(slide, tpl.accent_rule_box)
        footnote = footnote_text(spec, scenario_name, lang)
        layout = slide_layout(takeaway, footnote.split("\n"), tpl)
        self._text(slide, layout.takeaway, [takeaway], size=layout.takeaway_pt, colour=tpl.accent)
        painter.draw(slide, spec, lang, layout.chart)
        self._text(slide, layout.footnote, footnote.split("\n"), size=tpl.footnote_pt, colour=tpl.muted, anchor=MSO_ANCHOR.BOTTOM)
        self._footer(slide, number, count)
        slide.notes_slide.notes_text_frame.text = "\n\n".join(
            [takeaway, footnote, t("briefing.notes_data", lang, file=f"{chart_file_name(spec.slug, lang)}.csv")]
        )

    def _footer(self, slide, number: int, count: int) -> None:
        tpl = self.template
        self._text(
            slide,
            tpl.footer_box,
            [f"{t(tpl.footer_key, self.lang)} · {number}/{count}"],
            size=tpl.footer_pt,
            colour=tpl.muted,
            anchor=MSO_ANCHOR.BOTTOM,
        ).text_frame.paragraphs[0].alignment = PP_ALIGN.RIGHT

    def document_pages(self, entries: Sequence[str]) -> list[list[list[str]]]:
        """The later figures' documents in pages of columns, each column as long as fits at closing_small_pt."""
        tpl = self.template
        body = tpl.closing_body_box
        width = body.width / tpl.closing_columns - 0.1
        pages: list[list[list[str]]] = []
        column: list[str] = []
        for entry in entries:
            if column and _text_height([*column, entry], width, tpl.closing_small_pt, tpl) > body.height:
                if not pages or len(pages[-1]) == tpl.closing_columns:
                    pages.append([])
                pages[-1].append(column)
                column = []
            column.append(entry)
        if column:
            if not pages or len(pages[-1]) == tpl.closing_columns:
                pages.append([])
            pages[-1].append(column)
        return pages

    def documents(self, columns: Sequence[Sequence[str]], number: int, count: int) -> None:
        """A slide of the documents the later figures come from: title, edition, URL and the slides citing them."""
        tpl, lang = self.template, self.lang
        slide = self._slide(t("briefing.documents_title", lang), tpl.closing_title_box, tpl.title_pt)
        self._rule(slide, tpl.accent_rule_box)
        body = tpl.closing_body_box
        width = body.width / tpl.closing_columns
        for c, column in enumerate(columns):
            box = replace(body, left=body.left + c * width, width=width - 0.1)
            self._text(slide, box, column, size=tpl.closing_small_pt, colour=tpl.ink)
        self._footer(slide, number, count)

    def closing(self, specs: Sequence[ChartSpec], left_out: Sequence[LeftOut], count: int | None = None) -> None:
        tpl, lang = self.template, self.lang
        slide = self._slide(t("briefing.sources_title", lang), tpl.closing_title_box, tpl.title_pt)
        self._rule(slide, tpl.accent_rule_box)
        if count is not None:
            self._footer(slide, count, count)
        sources = [f"• {plain_text(source_entry(line, slides, lang))}" for line, slides in sources_with_slides(specs)]
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
