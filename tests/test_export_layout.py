"""Every registered chart through every export path, measured from the files themselves (issue 25, "Done when").

Paths: the app's "Image (SVG)" and "Image (PNG)" downloads, the API's .svg and .png at the default size and at a
phone's size, and the briefing deck's picture (every chart drawn as a picture: images_mode="always"). Each file
must be its medium's layout from `analysis.chart_layout` (the figure handed to the renderer is the one `lay_out`
makes, at the size it says; a PNG's pixels are that size times its scale), so a path that bypasses the layout
fails here. Each distinct layout is then drawn as SVG and measured in Chromium: the plot takes at least half a
landscape picture's height, no text runs outside the canvas, the title does not touch the legend, and the legend
touches neither the x-axis's labels nor the source line, and is drawn whole (no scroll bar).

Renders are shared: every path draws through one renderer that draws each distinct (figure, format, size,
scale) once, since identical layouts give identical files.
"""

from __future__ import annotations

import io
import json
import re
import struct
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from analysis import api as api_module
from analysis import images, scenario
from analysis.api import Api
from analysis.briefing import assemble_pack
from analysis.chart_export import chart_png, chart_svg
from analysis.chart_layout import FILE, MIN_PLOT_SHARE, api_medium, lay_out, slide_medium
from analysis.charts import SOURCE_ANNOTATION_NAME
from analysis.chartspec import chart_defs
from analysis.db import connect_readonly
from analysis.deck_template import DEFAULT_TEMPLATE
from analysis.i18n import LANGS

pytestmark = pytest.mark.browser

CHROMIUM_PATH = "/usr/bin/chromium"
PHONE = {"width": "390", "height": "700"}
SLUGS = tuple(c.slug for c in chart_defs())
PATHS = ("download.svg", "download.png", "api.svg", "api.png", "api.phone.svg", "api.phone.png", "deck.png")
EDGE_TOLERANCE_PX = 1.0  # anti-aliased glyph edges


class SharedRenderer:
    """The real renderer behind every path: each distinct request is drawn once; every call is recorded."""

    def __init__(self, real: images.ImageRenderer):
        self.real = real
        self.files: dict[tuple, bytes] = {}
        self.calls: list[tuple] = []
        self._lock = threading.Lock()

    def render(self, fig, *, fmt="png", width=1200, height=600, scale=1):
        key = (fig.to_json(), fmt, width, height, scale)
        found = self._file(key, fig)
        with self._lock:
            self.calls.append(key)
        return found

    def _file(self, key: tuple, fig) -> bytes:
        with self._lock:
            found = self.files.get(key)
        if found is None:
            _json, fmt, width, height, scale = key
            found = self.real.render(fig, fmt=fmt, width=width, height=height, scale=scale)
            with self._lock:
                self.files[key] = found
        return found

    def prefill(self, jobs: list[tuple]) -> None:
        """Draw (figure, fmt, width, height, scale) jobs ahead, on every tab the renderer has (not recorded as
        calls: a path that asks for another figure still draws it, and the figure check below sees it)."""
        unique = {(fig.to_json(), fmt, w, h, scale): fig for fig, fmt, w, h, scale in jobs}
        with ThreadPoolExecutor(max_workers=images.RENDER_TABS) as pool:
            list(pool.map(lambda item: self._file(*item), unique.items()))


@dataclass
class Export:
    slug: str
    lang: str
    path: str
    body: bytes
    key: tuple  # (figure JSON, format, width, height, scale) the renderer was asked for
    expected: object  # the analysis.chart_layout.Picture this path should have drawn
    scale: float


def _medium(path: str):
    if path.startswith("download") or path in ("api.svg", "api.png"):
        return FILE if path.startswith("download") else api_medium()
    if path.startswith("api.phone"):
        return api_medium(int(PHONE["width"]), int(PHONE["height"]))
    return slide_medium(DEFAULT_TEMPLATE.image_width_px, DEFAULT_TEMPLATE.image_height_px)


@pytest.fixture(scope="module")
def renderer():
    if images.unavailable_reason() is not None:
        pytest.fail(f"no Chromium for kaleido: {images.unavailable_reason()}")
    return SharedRenderer(images.default_renderer())


@pytest.fixture(scope="module")
def exports(built_db: Path, tmp_path_factory, renderer) -> list[Export]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ATLAS_DB_PATH", str(built_db))
        mp.setenv("ATLAS_USER_DATA_DIR", str(tmp_path_factory.mktemp("export-userdata")))
        mp.delenv(api_module.ALLOW_ORIGIN_ENV, raising=False)
        api = Api(renderer_factory=lambda: renderer)
        con = connect_readonly(built_db)
        try:
            return _all_exports(api, con, renderer)
        finally:
            con.close()


def _all_exports(api: Api, con, renderer: SharedRenderer) -> list[Export]:
    values = scenario.defaults()
    found: list[Export] = []
    jobs = []  # every picture the paths should ask for, and each layout's SVG for measuring, drawn ahead
    for lang in LANGS:
        for chart in chart_defs():
            spec = chart.build(con, dict(values), lang)
            subtitle = api.picture_subtitle(chart, spec, values, "", lang)
            for path in PATHS:
                picture = lay_out(spec.figure, _medium(path), subtitle=None if path == "deck.png" else subtitle)
                fmt = path.rsplit(".", 1)[1]
                scale = DEFAULT_TEMPLATE.image_scale if path == "deck.png" else 2 if fmt == "png" else 1
                jobs.append((picture.figure, fmt, picture.width_px, picture.height_px, scale))
                jobs.append((picture.figure, "svg", picture.width_px, picture.height_px, 1))
    renderer.prefill(jobs)

    def one_call(make) -> tuple[bytes, tuple]:
        before = len(renderer.calls)
        body = make()
        new = renderer.calls[before:]
        assert len(new) == 1, f"one picture per file, drew {len(new)}"
        return body, new[0]

    for lang in LANGS:
        specs = {}
        for chart in chart_defs():
            spec = chart.build(con, dict(values), lang)
            specs[chart.slug] = spec
            # The app's downloads take the API's scenario line (ui.widgets._scenario_line calls the same method).
            subtitle = api.picture_subtitle(chart, spec, values, "", lang)
            paths = {
                "download.svg": (lambda s=spec, sub=subtitle: chart_svg(s.figure, renderer, subtitle=sub), 1),
                "download.png": (lambda s=spec, sub=subtitle: chart_png(s.figure, renderer, subtitle=sub), 2),
            }
            for path, query, scale in (
                ("api.svg", {}, 1),
                ("api.png", {}, 2),
                ("api.phone.svg", PHONE, 1),
                ("api.phone.png", PHONE, 2),
            ):
                fmt = path.rsplit(".", 1)[1]

                def request(slug=chart.slug, fmt=fmt, query=query, lang=lang) -> bytes:
                    response = api.handle("GET", f"/api/v1/charts/{slug}.{fmt}", [("lang", lang), *query.items()], {})
                    assert response.status == 200, response.body[:300]
                    return response.body

                paths[path] = (request, scale)
            for path, (make, scale) in paths.items():
                body, key = one_call(make)
                expected = lay_out(spec.figure, _medium(path), subtitle=subtitle)
                found.append(Export(chart.slug, lang, path, body, key, expected, scale))
        found.extend(_deck_exports(specs, lang, renderer))
    return found


def _deck_exports(specs: dict, lang: str, renderer: SharedRenderer) -> list[Export]:
    from pptx import Presentation

    pack = assemble_pack(
        list(specs.values()),
        scenario_name=scenario.BASELINE_NAME,
        scenario_values={},
        lang=lang,
        images_mode="always",
        renderer=renderer,
    )
    by_body = {body: key for key, body in renderer.files.items()}
    slides = list(Presentation(io.BytesIO(pack.pptx)).slides)[1 : 1 + len(specs)]  # after the cover, in order
    found = []
    for (slug, spec), slide in zip(specs.items(), slides, strict=True):
        (picture,) = [shape for shape in slide.shapes if shape.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
        body = picture.image.blob
        assert body in by_body, f"{slug}: the deck's picture was not drawn by the shared renderer"
        expected = lay_out(spec.figure, _medium("deck.png"))
        found.append(Export(slug, lang, "deck.png", body, by_body[body], expected, DEFAULT_TEMPLATE.image_scale))
    return found


def _png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", body[16:24])


def _svg_size(body: bytes) -> tuple[float, float]:
    head = body[:600].decode("utf-8", "replace")
    width = re.search(r'<svg[^>]*\swidth="([\d.]+)"', head)
    height = re.search(r'<svg[^>]*\sheight="([\d.]+)"', head)
    assert width and height, "no size on the SVG's root"
    return float(width.group(1)), float(height.group(1))


# ---------------------------------------------------------------- each file is its medium's layout


@pytest.mark.parametrize("path", PATHS)
def test_every_export_is_its_mediums_layout(exports, path):
    mine = [e for e in exports if e.path == path]
    assert {(e.slug, e.lang) for e in mine} == {(s, lang) for s in SLUGS for lang in LANGS}
    problems = []
    for e in mine:
        figure_json, fmt, width, height, scale = e.key
        picture = e.expected
        if json.loads(figure_json) != json.loads(picture.figure.to_json()):
            problems.append(f"{e.slug} {e.lang}: drew a figure that analysis.chart_layout.lay_out did not make")
        if (width, height, scale) != (picture.width_px, picture.height_px, e.scale):
            problems.append(
                f"{e.slug} {e.lang}: drawn at {width}×{height}@{scale}, layout says {picture.width_px}×{picture.height_px}"
            )
        if fmt == "png":
            size = _png_size(e.body)
            want = (round(picture.width_px * e.scale), round(picture.height_px * e.scale))
            if size != want:
                problems.append(f"{e.slug} {e.lang}: the PNG is {size}, its layout {want}")
        else:
            size = _svg_size(e.body)
            if size != (picture.width_px, picture.height_px):
                problems.append(f"{e.slug} {e.lang}: the SVG is {size}, its layout {(picture.width_px, picture.height_px)}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- measured in Chromium

MEASURE_JS = """
([svgText, sourceIndex]) => {
  document.body.innerHTML = svgText;
  const svg = document.querySelector('svg.main-svg');
  const root = svg.getBoundingClientRect();
  const box = r => ({x0: r.left - root.left, y0: r.top - root.top, x1: r.right - root.left, y1: r.bottom - root.top});
  const shown = r => r.width > 0 && r.height > 0;
  const union = rects => rects.length === 0 ? null : rects.reduce((a, b) => ({
    x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1)}));
  const boxes = selector => [...svg.querySelectorAll(selector)].map(e => e.getBoundingClientRect()).filter(shown).map(box);
  // Plot areas: each cartesian subplot's clip rectangle where it is drawn, a map's picture, a hierarchy's slices.
  const plots = [];
  for (const clip of svg.querySelectorAll('clipPath.plotclip')) {
    const rect = clip.querySelector('rect');
    const user = svg.querySelector(`[clip-path="url(#${clip.id})"]`);
    if (!rect || !user) continue;
    const m = user.getCTM();
    const w = +rect.getAttribute('width'), h = +rect.getAttribute('height');
    plots.push({x0: m.e, y0: m.f, x1: m.e + w, y1: m.f + h});
  }
  plots.push(...boxes('image').filter((b, i) => !svg.querySelectorAll('image')[i].closest('.legend')));
  plots.push(...boxes('.trace.icicle, .trace.treemap, .trace.sunburst, .trace.pie'));
  const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim())
    .map(t => ({text: t.textContent.trim().slice(0, 60), ...box(t.getBoundingClientRect())}));
  const legendEl = svg.querySelector('g.legend');
  const scroll = svg.querySelector('.legend .scrollbar');
  return {
    width: +svg.getAttribute('width'), height: +svg.getAttribute('height'),
    plot: union(plots), texts,
    title: union(boxes('.g-gtitle text')),
    legend: legendEl ? union(boxes('g.legend > rect.bg')) : null,
    legendScrolls: !!scroll && scroll.getBoundingClientRect().height > 0,
    xaxis: boxes('.xtick text, .g-xtitle text'),
    source: sourceIndex === null ? null : union(boxes(`.annotation[data-index="${sourceIndex}"] text`)),
  };
}
"""


def _overlap(a, b) -> bool:
    if a is None or b is None:
        return False
    return min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > 0.5 and min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]) > 0.5


@pytest.fixture(scope="module")
def measured(exports, renderer):
    """Every distinct layout drawn as SVG (a PNG path's layout at its own size) and measured in Chromium."""
    from playwright.sync_api import sync_playwright

    layouts: dict[tuple, tuple[str, str, list[str]]] = {}
    for e in exports:
        figure_json, _fmt, width, height, _scale = e.key
        layouts.setdefault((figure_json, width, height), (e.slug, e.lang, []))[2].append(e.path)

    def measure_all() -> list:
        results = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=["--headless", "--no-sandbox"])
            page = browser.new_page()
            page.set_content("<html><body style='margin:0'></body></html>")
            for (figure_json, width, height), (slug, lang, paths) in layouts.items():
                import plotly.io as pio

                fig = pio.from_json(figure_json)
                svg = renderer.render(fig, fmt="svg", width=width, height=height, scale=1).decode("utf-8")
                index = [i for i, a in enumerate(fig.layout.annotations) if a.name == SOURCE_ANNOTATION_NAME]
                found = page.evaluate(MEASURE_JS, [svg, index[0] if index else None])
                results.append((slug, lang, paths, found))
            browser.close()
        return results

    # In a whole run the browser tier's session keeps its own Playwright (and its asyncio loop) running in this
    # thread, and the sync API refuses to start a second one there: measure in a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(measure_all).result()


def _problems(slug, lang, paths, m) -> list[str]:
    where = f"{slug} {lang} ({', '.join(paths)}, {m['width']:.0f}×{m['height']:.0f})"
    out = []
    if m["plot"] is None:
        out.append(f"{where}: no plot area found")
    elif m["width"] > m["height"]:
        share = (m["plot"]["y1"] - m["plot"]["y0"]) / m["height"]
        if share < MIN_PLOT_SHARE:
            out.append(f"{where}: the plot is {share:.0%} of the picture's height")
    for t in m["texts"]:
        if (
            t["x0"] < -EDGE_TOLERANCE_PX
            or t["y0"] < -EDGE_TOLERANCE_PX
            or t["x1"] > m["width"] + EDGE_TOLERANCE_PX
            or t["y1"] > m["height"] + EDGE_TOLERANCE_PX
        ):
            out.append(f"{where}: text runs outside the canvas: {t['text']!r} at {t}")
    if _overlap(m["title"], m["legend"]):
        out.append(f"{where}: the title overlaps the legend")
    if _overlap(m["legend"], m["source"]):
        out.append(f"{where}: the legend overlaps the source line")
    if any(_overlap(m["legend"], x) for x in m["xaxis"]):
        out.append(f"{where}: the legend overlaps the x-axis's labels")
    if m["legendScrolls"]:
        out.append(f"{where}: the legend does not fit (plotly gave it a scroll bar: entries are cut)")
    return out


def test_every_layout_fits_its_picture(measured):
    assert len(measured) >= len(SLUGS) * len(LANGS) * 3  # file (= API default), phone, slide
    problems = [p for slug, lang, paths, m in measured for p in _problems(slug, lang, paths, m)]
    assert not problems, "\n".join(problems)
