"""The deck's pictures measured as drawn: every text's size on the slide, the y-axis title of the value curves,
the labels of the bubble charts (issue 25, slides 7, 9-10 and 14).

Each picture in a zh and an en deck of every chart is drawn again as SVG from the very figure the deck drew
(a renderer that records what it is asked for) and measured in Chromium. A text's size on the slide is its
drawn size in the picture (its font size times any scale plotly gave it, e.g. a label shrunk to fit a box)
times the picture's scale on the slide: the placeholder's width in pt over the picture's width in px.
"""

from __future__ import annotations

import io
import math
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from analysis import briefing, images
from analysis import scenario as sc
from analysis.chart_layout import FILE, api_medium, lay_out, slide_medium
from analysis.charts import GAP_PX, plain_text
from analysis.chartspec import chart_def
from analysis.deck_template import DEFAULT_TEMPLATE
from analysis.i18n import LANGS

pytestmark = pytest.mark.browser

CHROMIUM_PATH = "/usr/bin/chromium"
EMU_PER_PT = 12700
EDGE_TOLERANCE_PX = 1.0  # anti-aliased edges; a label's box includes its line's leading, past its glyphs
BUBBLE_CHARTS = ("cycle-matrix-development", "cycle-matrix-commercial")

MEASURE_JS = """
(svgText) => {
  document.body.innerHTML = svgText;
  const svg = document.querySelector('svg.main-svg');
  const root = svg.getBoundingClientRect();
  const box = r => ({x0: r.left - root.left, y0: r.top - root.top, x1: r.right - root.left, y1: r.bottom - root.top});
  const rootScale = Math.hypot(svg.getCTM().a, svg.getCTM().b);
  const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim() && t.getBoundingClientRect().width > 0)
    .map(t => {
      const m = t.getCTM();
      const group = t.closest('g[class]');
      return {text: t.textContent.trim(), cls: t.getAttribute('class') || (group ? group.getAttribute('class') : ''),
              px: parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b) / rootScale,
              ...box(t.getBoundingClientRect())};
    });
  const points = [...svg.querySelectorAll('.scatterlayer path.point')].map(p => box(p.getBoundingClientRect()));
  const ytitle = [...svg.querySelectorAll('.g-ytitle text')].map(t => ({text: t.textContent, ...box(t.getBoundingClientRect())}));
  return {width: +svg.getAttribute('width'), height: +svg.getAttribute('height'), texts, points, ytitle};
}
"""


class RecordingRenderer:
    """The real renderer; remembers the figure and size behind every picture it drew, by the picture's bytes."""

    def __init__(self, real: images.ImageRenderer):
        self.real = real
        self.drawn: dict[bytes, tuple] = {}
        self._lock = threading.Lock()

    def render(self, fig, *, fmt="png", width=1200, height=600, scale=1):
        body = self.real.render(fig, fmt=fmt, width=width, height=height, scale=scale)
        with self._lock:
            self.drawn[body] = (fig, width, height)
        return body


def _measure(svgs: list[str]) -> list[dict]:
    from playwright.sync_api import sync_playwright

    def run() -> list[dict]:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=["--headless", "--no-sandbox"])
            page = browser.new_page()
            page.set_content("<html><body style='margin:0'></body></html>")
            found = [page.evaluate(MEASURE_JS, svg) for svg in svgs]
            browser.close()
        return found

    # A whole run's browser tier keeps its own Playwright loop in this thread: measure in a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


@pytest.fixture(scope="module")
def deck_pictures(db_con):
    """[(lang, slide number, slug, pt per px on the slide, measured SVG)] for every picture of both decks."""
    assert images.unavailable_reason() is None, f"no browser for the deck's pictures: {images.unavailable_reason()}"
    real = images.default_renderer()
    found = []
    for lang in LANGS:
        recorder = RecordingRenderer(real)
        pack = briefing.build_pack(db_con, sc.defaults(), lang, images_mode="auto", renderer=recorder)
        deck = Presentation(io.BytesIO(pack.pptx))
        for number, slide in enumerate(deck.slides, start=1):
            for shape in slide.shapes:
                if shape.shape_type != MSO_SHAPE_TYPE.PICTURE:
                    continue
                fig, width, height = recorder.drawn[shape.image.blob]
                svg = real.render(fig, fmt="svg", width=width, height=height, scale=1).decode("utf-8")
                found.append((lang, number, pack.slugs[number - 2], shape.width / EMU_PER_PT / width, svg))
    measured = _measure([svg for *_, svg in found])
    return [(lang, number, slug, scale, m) for (lang, number, slug, scale, _), m in zip(found, measured, strict=True)]


def test_every_text_in_every_deck_picture_reads_at_9_pt_or_more(deck_pictures):
    """Slide 14's icicle drew its boxes' labels at about 5-7 pt (plotly shrank them to fit one-item rows), the
    cycle sensitivity's picture grew to 618 px and was drawn at 0.53 pt a px (its text at 6.5 pt)."""
    assert {slug for *_, slug, _s, _m in deck_pictures} >= {"industry-value-chain", "cycle-curves", *BUBBLE_CHARTS}
    small = []
    for lang, number, slug, pt_per_px, m in deck_pictures:
        for text in m["texts"]:
            size_pt = text["px"] * pt_per_px
            if size_pt < DEFAULT_TEMPLATE.min_text_pt - 0.05:
                small.append(f"{lang} slide {number} ({slug}): {text['text'][:40]!r} at {size_pt:.1f} pt")
    assert not small, "\n".join(small)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("lang", LANGS)
def test_the_value_curves_y_title_is_drawn_whole_inside_the_picture(deck_pictures, db_con, lang):
    """Slide 7: the y-axis title ran the plot's whole height and grazed the picture's top edge (zh: 14 px from it)."""
    spec = chart_def("cycle-curves").build(db_con, sc.defaults(), lang)
    wanted = _squash(plain_text(spec.figure.layout.yaxis.title.text))
    [m] = [m for lg, _n, slug, _s, m in deck_pictures if lg == lang and slug == "cycle-curves"]
    assert m["ytitle"], "no y-axis title drawn"
    assert _squash("".join(t["text"] for t in m["ytitle"])) == wanted, "the y-axis title is not drawn whole"
    for t in m["ytitle"]:
        assert t["x0"] >= -EDGE_TOLERANCE_PX and t["x1"] <= m["width"] + EDGE_TOLERANCE_PX, t
        assert t["y0"] >= 2 * GAP_PX and t["y1"] <= m["height"] - 2 * GAP_PX, f"touches the picture's top or bottom: {t}"


def _circle(box: dict) -> tuple[float, float, float]:
    """A bubble's centre and radius from its drawn box (less the 1 px white outline's half)."""
    return (box["x0"] + box["x1"]) / 2, (box["y0"] + box["y1"]) / 2, min(box["x1"] - box["x0"], box["y1"] - box["y0"]) / 2 - 0.5


def _reaches_into(circle, text) -> float:
    cx, cy, r = circle
    dx = max(text["x0"] - cx, 0, cx - text["x1"])
    dy = max(text["y0"] - cy, 0, cy - text["y1"])
    return r - math.hypot(dx, dy)


def _overlap(a, b) -> bool:
    return (
        min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > EDGE_TOLERANCE_PX
        and min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]) > EDGE_TOLERANCE_PX
    )


def test_bubble_labels_cover_no_bubble_and_no_other_label(db_con):
    """Slides 9-10: every label sat above its bubble and ran into the bubble one score above ("Brain-inspired
    chips" over "Silicon photonics chips"; "Model all-in-one appliances" over MaaS). Checked on the slide's
    picture, the downloaded file and a phone-sized API picture."""
    media = (slide_medium(DEFAULT_TEMPLATE.image_width_px, DEFAULT_TEMPLATE.image_height_px), FILE, api_medium(390, 700))
    cases, svgs = [], []
    renderer = images.default_renderer()
    for slug in BUBBLE_CHARTS:
        for lang in LANGS:
            spec = chart_def(slug).build(db_con, sc.defaults(), lang)
            for medium in media:
                picture = lay_out(spec.figure, medium)
                svg = renderer.render(picture.figure, fmt="svg", width=picture.width_px, height=picture.height_px)
                cases.append((slug, lang, medium.name, picture.width_px, len(spec.figure.data[0].x)))
                svgs.append(svg.decode("utf-8"))
    problems = []
    for (slug, lang, medium, width, count), m in zip(cases, _measure(svgs), strict=True):
        where = f"{slug} {lang} {medium} {width}px"
        labels = [t for t in m["texts"] if t["cls"] == "textpoint"]
        assert len(labels) == len(m["points"]) == count, (where, len(labels), len(m["points"]))
        for label in labels:
            for point in m["points"]:
                depth = _reaches_into(_circle(point), label)
                if depth > EDGE_TOLERANCE_PX:
                    problems.append(f"{where}: {label['text']!r} covers a bubble by {depth:.1f} px")
            if label["x0"] < -EDGE_TOLERANCE_PX or label["x1"] > m["width"] + EDGE_TOLERANCE_PX:
                problems.append(f"{where}: {label['text']!r} runs off the picture")
        for i, a in enumerate(labels):
            problems += [f"{where}: {a['text']!r} over {b['text']!r}" for b in labels[i + 1 :] if _overlap(a, b)]
    assert not problems, "\n".join(problems)
