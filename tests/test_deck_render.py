"""A zh and an en deck of every chart, rendered by LibreOffice to PDF and read back word by word.

What a presenter would see, checked where it can be checked: every slide's title sits in the layout's
title placeholder and shows on the page; no word lands outside the frame of the shape it belongs to
(text that overflows a box, a title running into the takeaway); text boxes do not overlap; pictures keep
their aspect ratio; every slide but the cover is numbered n/total, the last one too; no markup (`<br>`,
`&lt;`) in any text; no text below 9 pt; each native line chart draws its visible series in styles of their
own, as the screen does (dashes, markers only, a band's edges named once). Needs `soffice` and `pdftotext`
(`make browser-deps` installs libreoffice-impress and poppler-utils) and a Chromium for the pictures.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from deck_xml import all_text, legend_hidden, series_look, series_xml, small_runs
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE, PP_PLACEHOLDER
from pptx.util import Emu

from analysis import briefing, images
from analysis import scenario as sc

pytestmark = pytest.mark.deck_render

EMU_PER_PT = 12700
TOLERANCE_PT = 2.0
GLYPH_SLACK = 0.15  # pdftotext's word boxes span the font's whole ascent and descent, past the line's own height
ASPECT_TOLERANCE = 0.01
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')
PAGE = re.compile(r"<page [^>]*>(.*?)</page>", re.S)
TITLE_TYPES = {PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE}


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: run `make browser-deps` (apt: libreoffice-impress, poppler-utils)"
    return path


@pytest.fixture(scope="module")
def rendered(db_con, tmp_path_factory):
    """{lang: (Presentation, [[(x0, y0, x1, y1, word), ...] per page])}."""
    assert images.unavailable_reason() is None, f"no browser for the deck's pictures: {images.unavailable_reason()}"
    soffice, pdftotext = _tool("soffice"), _tool("pdftotext")
    out = tmp_path_factory.mktemp("deck_render")
    decks = {}
    for lang in ("zh", "en"):
        pack = briefing.build_pack(db_con, sc.defaults(), lang, images_mode="auto")
        assert not pack.left_out, pack.left_out
        (out / f"deck_{lang}.pptx").write_bytes(pack.pptx)
        decks[lang] = Presentation(io.BytesIO(pack.pptx))
    profile = out / "lo-profile"  # a private LibreOffice profile: no clash with a desktop session or another run
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf", "--outdir", str(out)]
        + [str(out / f"deck_{lang}.pptx") for lang in decks],
        check=True,
        capture_output=True,
        timeout=600,
    )
    result = {}
    for lang, deck in decks.items():
        layout = subprocess.run(
            [pdftotext, "-bbox-layout", str(out / f"deck_{lang}.pdf"), "-"], check=True, capture_output=True, text=True
        ).stdout
        pages = [
            [(float(a), float(b), float(c), float(d), html.unescape(w)) for a, b, c, d, w in WORD.findall(page)]
            for page in PAGE.findall(layout)
        ]
        result[lang] = (deck, pages)
    return result


def _frame_pt(shape) -> tuple[float, float, float, float]:
    return (
        shape.left / EMU_PER_PT,
        shape.top / EMU_PER_PT,
        (shape.left + shape.width) / EMU_PER_PT,
        (shape.top + shape.height) / EMU_PER_PT,
    )


HANGING_PUNCTUATION = "。，、；：！？）」』"


def _inside(word, frame) -> bool:
    x0, y0, x1, y1 = word[:4]
    slack = max(TOLERANCE_PT, GLYPH_SLACK * (y1 - y0))
    # CJK typesetting lets a closing punctuation mark hang past the right edge (one em at most) rather than
    # push it onto a line of its own; LibreOffice does so.
    right_slack = slack + ((y1 - y0) if word[4][-1:] in HANGING_PUNCTUATION else 0)
    return x0 >= frame[0] - slack and y0 >= frame[1] - slack and x1 <= frame[2] + right_slack and y1 <= frame[3] + slack


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _text_shapes(slide):
    return [s for s in slide.shapes if s.has_text_frame and s.text_frame.text.strip()]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_slide_renders_and_its_title_is_the_layout_placeholder(rendered, lang):
    deck, pages = rendered[lang]
    assert len(pages) == len(deck.slides)
    for number, (slide, words) in enumerate(zip(deck.slides, pages, strict=True), start=1):
        title = slide.shapes.title
        assert title is not None and title.is_placeholder, f"slide {number}: no title placeholder"
        assert title.placeholder_format.type in TITLE_TYPES
        assert title.text_frame.text.strip(), f"slide {number}: empty title"
        shown = "".join(w[4] for w in words if _inside(w, _frame_pt(title)))
        assert _squash(title.text_frame.text) in _squash(shown), f"slide {number}: title not drawn in its frame"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_text_leaves_its_frame_and_no_text_boxes_overlap(rendered, lang):
    deck, pages = rendered[lang]
    for number, (slide, words) in enumerate(zip(deck.slides, pages, strict=True), start=1):
        text_shapes = _text_shapes(slide)
        frames = [_frame_pt(s) for s in text_shapes]
        for i, a in enumerate(frames):
            for b in frames[i + 1 :]:
                overlap = min(a[2], b[2]) - max(a[0], b[0]) > TOLERANCE_PT and min(a[3], b[3]) - max(a[1], b[1]) > TOLERANCE_PT
                assert not overlap, f"slide {number}: text boxes overlap: {a} and {b}"
        charts = [_frame_pt(s) for s in slide.shapes if s.has_chart or s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        texts = [(_squash(s.text_frame.text), f) for s, f in zip(text_shapes, frames, strict=True)]
        for word in words:
            if any(_inside(word, f) for f in charts):
                continue  # a native chart's own labels
            owners = [f for text, f in texts if _squash(word[4]) in text] or frames
            assert any(_inside(word, f) for f in owners), f"slide {number}: {word[4]!r} at {word[:4]} is outside its box"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_footer_numbers_each_slide_out_of_all_slides(rendered, lang):
    deck, pages = rendered[lang]
    total = len(deck.slides)
    for number, words in enumerate(pages, start=1):
        if number == 1:
            continue  # the cover carries no footer; the sources slide, the last, does
        assert f"{number}/{total}" in [w[4] for w in words], f"slide {number}: footer number missing or wrong"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pictures_keep_their_aspect_ratio(rendered, lang):
    deck, _ = rendered[lang]
    pictures = [s for slide in deck.slides for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert pictures, "the deck has no picture: the map at least should be one"
    for picture in pictures:
        width_px, height_px = Image.open(io.BytesIO(picture.image.blob)).size
        assert (picture.crop_left, picture.crop_right, picture.crop_top, picture.crop_bottom) == (0, 0, 0, 0)
        shown = Emu(picture.width) / Emu(picture.height)
        assert abs(shown / (width_px / height_px) - 1) <= ASPECT_TOLERANCE, (picture.name, width_px, height_px)


MARKUP = ("<", ">", "&lt;", "&gt;")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_markup_in_any_text_drawn_or_stored(rendered, lang):
    """The report card once showed a raw <br> in every category label."""
    deck, pages = rendered[lang]
    for number, words in enumerate(pages, start=1):
        for word in words:
            assert not any(m in word[4] for m in MARKUP), f"slide {number}: {word[4]!r} drawn"
    for number, text in all_text(deck):
        assert not any(m in text for m in MARKUP), f"slide {number}: {text[:120]!r}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_run_of_text_below_9_pt(rendered, lang):
    deck, _ = rendered[lang]
    assert small_runs(deck) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_native_line_charts_draw_each_visible_series_in_its_own_style(rendered, lang):
    """Every series once was the same solid line with markers: the scenario hidden under the median, the
    band two more lines, 8 legend entries for about 4 visible lines."""
    deck, _ = rendered[lang]
    styles = []
    for number, slide in enumerate(deck.slides, start=1):
        series = series_xml(slide)
        if not series:
            continue
        chart = next(shape.chart for shape in slide.shapes if shape.has_chart)
        if chart.chart_type is None or "LINE" not in chart.chart_type.name:
            continue
        hidden = legend_hidden(slide)
        shown = [tuple(sorted(series_look(ser).items(), key=str)) for i, (_, ser) in enumerate(series) if i not in hidden]
        assert len(shown) == len(set(shown)), f"slide {number}: two visible series look alike"
        names = [name for i, (name, _) in enumerate(series) if i not in hidden]
        assert len(names) == len(set(names)), f"slide {number}: a legend entry twice: {names}"
        styles += [series_look(ser) for _, ser in series]
    assert any(s["line"] and s["dash"] != "solid" for s in styles), "no dashed line (the baseline is dotted on screen)"
    assert any(not s["line"] and s["marker"] not in (None, "none") for s in styles), "no markers-only series"
    assert any(s["line"] and s["marker"] == "none" for s in styles), "no line without markers"


def test_render_tools_are_the_ones_the_makefile_installs():
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text(encoding="utf-8")
    assert "libreoffice-impress" in makefile and "poppler-utils" in makefile
