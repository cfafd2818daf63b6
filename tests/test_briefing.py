"""The briefing pack, opened again with python-pptx and zipfile: slides, footnotes, native values, zip, fallbacks."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.oxml.ns import qn

from analysis import briefing, chartspec, images
from analysis import scenario as sc
from analysis.chart_export import chart_html
from analysis.charts import chart_file_name, full_source_text
from analysis.chartspec import chart_defs
from analysis.deck_template import Box, DeckTemplate
from analysis.i18n import LANGS, t
from analysis.sitemap import PAGES

PAGE_INDEX = {page.page_id: i for i, page in enumerate(PAGES)}
FAKE_SLUGS = ("t-line", "t-column", "t-stacked", "t-map", "t-odd")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def deck_of(pack: briefing.BriefingPack):
    return Presentation(io.BytesIO(pack.pptx))


def texts(slide) -> list[str]:
    return [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]


def chart_of(slide):
    charts = [shape.chart for shape in slide.shapes if shape.has_chart]
    assert len(charts) <= 1
    return charts[0] if charts else None


def pictures(slide) -> list:
    return [shape for shape in slide.shapes if shape.shape_type == MSO_SHAPE_TYPE.PICTURE]


@pytest.fixture
def fake_charts(monkeypatch):
    """The real charts plus the test charts of tests/briefing_charts_fixture.py."""
    monkeypatch.setattr(chartspec, "CHART_MODULES", (*chartspec.CHART_MODULES, "briefing_charts_fixture"))


@pytest.fixture
def fake_params(monkeypatch):
    monkeypatch.setattr(sc, "PARAM_MODULES", (*sc.PARAM_MODULES, "scenario_params_fixture"))


@pytest.fixture
def no_browser(monkeypatch, tmp_path):
    """As on a machine without Chromium: BROWSER_PATH names nothing."""
    monkeypatch.setenv(images.BROWSER_ENV, str(tmp_path / "no-chromium"))


@pytest.fixture(scope="module", params=LANGS)
def real_pack(request, db_con):
    """Every registered chart of the app, baseline scenario, without pictures (fast; no browser needed)."""
    lang = request.param
    specs = briefing.build_specs(db_con, sc.defaults(), lang)
    pack = briefing.assemble_pack(
        specs, scenario_name=sc.BASELINE_NAME, scenario_values=sc.defaults(), lang=lang, images_mode="never"
    )
    return lang, specs, pack


# ---------------------------------------------------------------- the deck of the app's own charts


def test_slide_count_is_selection_plus_cover_and_sources(real_pack):
    lang, specs, pack = real_pack
    # cover, one per chart, the later figures' documents (one slide holds them), sources
    assert pack.document_slides == 1
    assert len(deck_of(pack).slides) == len(specs) + 3 == pack.slide_count
    assert sorted(pack.slugs) == sorted(c.slug for c in chart_defs())
    page_order = [PAGE_INDEX[chartspec.chart_def(slug).page_id] for slug in pack.slugs]
    assert page_order == sorted(page_order), "slides follow the order of the app's pages"


def test_every_chart_slide_has_title_takeaway_and_a_footnote_naming_its_source(real_pack):
    lang, specs, pack = real_pack
    slides = list(deck_of(pack).slides)[1 : 1 + len(specs)]
    for slide, spec in zip(slides, specs, strict=True):
        shown = texts(slide)
        assert spec.title in shown
        assert spec.takeaway in shown
        footnotes = [text for text in shown if full_source_text(spec.source_line, lang) in text]
        assert len(footnotes) == 1, (spec.slug, shown)
        assert t("briefing.footnote_scenario", lang, name=t("scenario.baseline", lang)) in footnotes[0]


def test_native_chart_values_equal_the_spec(real_pack):
    lang, specs, pack = real_pack
    slides = list(deck_of(pack).slides)[1 : 1 + len(specs)]
    for slide, spec in zip(slides, specs, strict=True):
        chart = chart_of(slide)
        if spec.native is None:
            assert chart is None
            continue
        plot = chart.plots[0]
        assert tuple(plot.categories) == tuple(briefing.plain_text(c) for c in spec.native.categories)
        expected = [(s.name, s.values) for s in spec.native.series]
        if spec.native.kind == "line":  # drawn in the figure's order, each under its name on screen
            looks = briefing.series_looks(spec.native, spec.figure)
            expected = [(looks[k].name, expected[k][1]) for k in sorted(range(len(looks)), key=lambda k: looks[k].order)]
        assert [(s.name, s.values) for s in plot.series] == expected, spec.slug


def test_workload_chart_in_the_deck_carries_the_database_values(db_con):
    """The home chart's series are IDC's shares as stored in the figures table (report, trend 02)."""
    pack = briefing.build_pack(db_con, sc.defaults(), "en", slugs=["workload-split"], images_mode="never")
    chart = chart_of(deck_of(pack).slides[1])
    stored = db_con.execute(
        "SELECT CAST(period AS INTEGER) AS year, segment, value FROM figures WHERE metric = ? AND entity = ? ORDER BY year",
        ["ai_server_workload_share", "CN"],
    ).df()
    wide = stored.pivot(index="year", columns="segment", values="value")
    assert list(chart.plots[0].categories) == [str(y) for y in wide.index]
    drawn = {s.name: list(s.values) for s in chart.plots[0].series}
    assert drawn[t("segment.inference", "en")] == list(wide["inference"])
    assert drawn[t("segment.training", "en")] == list(wide["training"])
    assert drawn[t("segment.inference", "en")][-1] == 62.2  # 2026, as printed in the report's chart


def test_chinese_titles_survive_in_the_zh_deck(db_con):
    specs = briefing.build_specs(db_con, sc.defaults(), "zh")
    pack = briefing.assemble_pack(
        specs, scenario_name=sc.BASELINE_NAME, scenario_values=sc.defaults(), lang="zh", images_mode="never"
    )
    deck = deck_of(pack)
    assert t("briefing.deck_title", "zh") in texts(deck.slides[0])
    for slide, spec in zip(list(deck.slides)[1 : 1 + len(specs)], specs, strict=True):
        assert re.search(r"[\u4e00-\u9fff]", spec.title), spec.title
        assert spec.title in texts(slide)
    # Chinese runs name an East Asian typeface, so PowerPoint does not fall back to boxes.
    run = deck.slides[1].shapes.title.text_frame.paragraphs[0].runs[0]
    assert run.font._rPr.find(qn("a:ea")).get("typeface") == DeckTemplate().font_east_asian


def test_closing_slide_lists_every_source_once_with_its_slides(real_pack):
    lang, specs, pack = real_pack
    closing = "\n".join(texts(deck_of(pack).slides[-1]))
    assert t("briefing.sources_title", lang) in closing
    for line, slides in briefing.sources_with_slides(specs):
        assert closing.count(briefing.source_entry(line, slides, lang)) == 1


def test_cover_names_date_scenario_language_and_chart_count(real_pack):
    lang, specs, pack = real_pack
    cover = "\n".join(texts(deck_of(pack).slides[0]))
    assert t("briefing.meta_scenario", lang, name=t("scenario.baseline", lang)) in cover
    assert t("briefing.meta_language", lang, language={"zh": "中文", "en": "English"}[lang]) in cover
    assert t("briefing.meta_charts", lang, count=len(specs)) in cover
    assert t("briefing.meta_unchanged", lang) in cover
    assert str(date.today().year) in cover


def test_date_formats():
    assert briefing.format_date(date(2024, 3, 5), "en") == "5 March 2024"
    assert briefing.format_date(date(2024, 3, 5), "zh") == "2024年3月5日"


# ---------------------------------------------------------------- native kinds, pictures and what is left out


def test_each_native_kind_is_an_editable_chart_with_the_spec_values(db_con, fake_charts):
    slugs = ["t-line", "t-column", "t-stacked"]
    pack = briefing.build_pack(db_con, sc.defaults(), "en", slugs=slugs, images_mode="never")
    deck = deck_of(pack)
    assert len(deck.slides) == len(slugs) + 2
    from briefing_charts_fixture import SERIES

    for slide, slug in zip(list(deck.slides)[1:-1], slugs, strict=True):
        chart = chart_of(slide)
        assert chart is not None, slug
        assert not chart.has_title  # the slide's title is the chart's title
        assert [(s.name, tuple(s.values)) for s in chart.plots[0].series] == [(n, v) for n, v in SERIES[slug]]
    assert chart_of(deck.slides[1]).plots[0].series[0].values[1] is None  # the gap stays a gap
    assert pack.native_charts == 3 and pack.left_out == ()


def test_category_labels_stay_clear_of_negative_bars(db_con):
    from pptx.enum.chart import XL_TICK_LABEL_POSITION

    from analysis.chartspec import ChartSpec, NativeChart, NativeSeries

    base = chartspec.chart_def("workload-split").build(db_con, {}, "en")
    native = NativeChart("bar", ("a", "b"), (NativeSeries("change", (-1.0, 2.0)),))
    spec = ChartSpec("neg", "Negative", "One bar is below zero.", base.figure, base.data, base.source_line, {}, native)
    pack = briefing.assemble_pack([spec], scenario_name="baseline", scenario_values={}, lang="en", images_mode="never")
    axis = chart_of(deck_of(pack).slides[1]).category_axis
    assert axis.tick_label_position == XL_TICK_LABEL_POSITION.LOW


def test_stacked_shares_get_a_0_to_100_axis(db_con, fake_charts):
    pack = briefing.build_pack(db_con, sc.defaults(), "en", slugs=["t-stacked", "t-column"], images_mode="never")
    assert pack.slugs == ("t-column", "t-stacked")  # registry order, whatever order they were asked in
    columns, stacked = (chart_of(s) for s in list(deck_of(pack).slides)[1:-1])
    assert (stacked.value_axis.minimum_scale, stacked.value_axis.maximum_scale) == (0, 100)
    assert columns.value_axis.maximum_scale is None


def test_without_chromium_the_pack_builds_and_the_last_slide_says_what_was_left_out(db_con, fake_charts, no_browser):
    assert images.find_browser() is None
    pack = briefing.build_pack(db_con, sc.defaults(), "en", slugs=list(FAKE_SLUGS), images_mode="auto")
    deck = deck_of(pack)
    assert len(deck.slides) == len(FAKE_SLUGS) + 2
    assert pack.native_charts == 3 and pack.image_charts == 0
    assert [item.slug for item in pack.left_out] == ["t-map", "t-odd"]
    assert all("no-chromium" in item.reason for item in pack.left_out)
    closing = "\n".join(texts(deck.slides[-1]))
    assert t("briefing.left_out_title", "en") in closing
    for item in pack.left_out:
        assert f"{item.title}: {item.reason}" in closing
    map_slide = deck.slides[1 + FAKE_SLUGS.index("t-map")]
    assert any(f"{chart_file_name('t-map', 'en')}.csv" in text for text in texts(map_slide))
    assert "radar" in pack.left_out[1].reason  # the unknown native kind is named
    readme = zipfile.ZipFile(io.BytesIO(pack.zip)).read(briefing.README_FILE).decode("utf-8")
    assert t("briefing.left_out_title", "en") in readme


def test_with_chromium_a_chart_without_native_form_is_a_picture(db_con, fake_charts):
    """Needs Debian's chromium (`make browser-deps`), as the browser tests do."""
    assert images.find_browser() is not None, "no Chromium: run `make browser-deps`"
    pack = briefing.build_pack(db_con, sc.defaults(), "zh", slugs=["t-map", "t-line"], images_mode="auto")
    deck = deck_of(pack)
    assert pack.slugs == ("t-line", "t-map")
    map_pictures = pictures(deck.slides[2])
    assert len(map_pictures) == 1 and map_pictures[0].image.blob.startswith(PNG_MAGIC)
    assert chart_of(deck.slides[1]) is not None and not pictures(deck.slides[1])
    assert (pack.image_charts, pack.native_charts, pack.left_out) == (1, 1, ())


def test_always_mode_draws_every_chart_as_a_picture(db_con):
    pack = briefing.build_pack(db_con, sc.defaults(), "en", slugs=["workload-split"], images_mode="always")
    assert len(pictures(deck_of(pack).slides[1])) == 1 and chart_of(deck_of(pack).slides[1]) is None


def test_a_template_restyles_the_deck(db_con):
    # A title box tall enough for two lines at 30 pt, so the title need not shrink to fit.
    template = DeckTemplate(font_latin="Georgia", accent="#112233", title_pt=30, title_box=Box(0.5, 0.3, 12.3, 1.3))
    pack = briefing.build_pack(db_con, sc.defaults(), "en", slugs=["workload-split"], images_mode="never", template=template)
    slide = deck_of(pack).slides[1]
    title_run = next(
        s for s in slide.shapes if s.has_text_frame and s.text_frame.text == chart_defs()[0].build(db_con, {}, "en").title
    )
    font = title_run.text_frame.paragraphs[0].runs[0].font
    assert (font.name, font.size.pt) == ("Georgia", 30)


# ---------------------------------------------------------------- footnote assumptions and the zip


def test_footnote_and_cover_carry_the_scenario_assumptions(db_con, fake_charts, fake_params):
    values = {**sc.defaults(), "t_growth": 33.0}
    pack = briefing.build_pack(db_con, values, "en", scenario_name="High growth", slugs=["t-line"], images_mode="never")
    deck = deck_of(pack)
    footnote = next(text for text in texts(deck.slides[1]) if text.startswith(full_source_text("", "en")[:7]))
    assert "Scenario: High growth" in footnote and "Growth: 33%" in footnote
    cover = "\n".join(texts(deck.slides[0]))
    assert "Scenario: High growth" in cover and "t_growth: 33%" in cover


def test_zip_holds_each_chart_csv_and_the_scenario_which_reloads_to_the_same_values(db_con, fake_charts, fake_params):
    values = {**sc.defaults(), "t_growth": 33.0, "t_horizon": 2031, "t_bands": True, "t_mode": "manual"}
    slugs = ["t-line", "t-stacked"]
    pack = briefing.build_pack(db_con, values, "zh", scenario_name="高增长", slugs=slugs, images_mode="never")
    archive = zipfile.ZipFile(io.BytesIO(pack.zip))
    csv_names = [f"{chart_file_name(s, 'zh')}.csv" for s in slugs]
    assert sorted(archive.namelist()) == sorted([briefing.SCENARIO_FILE, briefing.README_FILE, *csv_names])
    for slug, name in zip(slugs, csv_names, strict=True):
        raw = archive.read(name)
        assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads Chinese headers correctly
        spec = chartspec.chart_def(slug).build(db_con, values, "zh")
        pd.testing.assert_frame_equal(pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype=str), spec.data.astype(str))
    name, reloaded, problems = briefing.read_scenario_file(pack.zip)
    assert (name, problems) == ("高增长", [])
    assert reloaded == values
    json_name, json_values, _ = briefing.read_scenario_file(archive.read(briefing.SCENARIO_FILE))
    assert (json_name, json_values) == (name, values)


def _zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, payload in files.items():
            archive.writestr(name, payload)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "payload, code",
    [
        (b"\x00\x01 not json", "not_json"),
        (json.dumps({"format": "something-else", "values": {}}).encode(), "not_scenario"),
        (json.dumps(["compute-atlas-scenario"]).encode(), "not_scenario"),
        (json.dumps({"format": "compute-atlas-scenario"}).encode(), "no_values"),
        (_zip_of({"notes.txt": b"hello"}), "no_scenario"),
        (_zip_of({"scenario.json": b"{broken"}), "not_json"),
        (b"PK\x03\x04" + b"x" * 100, "not_json"),
        (b" " * (briefing.MAX_SCENARIO_FILE_BYTES + 1), "too_large"),
    ],
    ids=["binary", "other-format", "a-list", "no-values", "zip-without-scenario", "zip-broken-json", "truncated-zip", "huge"],
)
def test_a_file_without_a_scenario_is_refused_with_a_reason(payload, code):
    with pytest.raises(briefing.ScenarioFileError) as caught:
        briefing.read_scenario_file(payload)
    assert caught.value.code == code
    assert t(f"briefing.file_error.{code}", "en", file="f", detail=caught.value.detail).strip()


def test_bad_values_in_a_scenario_file_fall_back_to_defaults_with_problems(fake_params):
    body = sc.to_json("x", {**sc.defaults(), "t_growth": 33.0}).replace("33.0", "900")
    name, values, problems = briefing.read_scenario_file(body.encode())
    assert values["t_growth"] == 19.0
    assert [p.name for p in problems] == ["t_growth"] and "maximum" in problems[0].reason


@pytest.mark.parametrize(
    "name, changed, expected",
    [("mine", True, "mine"), ("baseline", True, ""), ("mine", False, "baseline"), ("", True, "")],
)
def test_reopened_name(fake_params, name, changed, expected):
    values = {**sc.defaults(), "t_growth": 33.0} if changed else sc.defaults()
    assert briefing.reopened_name(name, values) == expected


# ---------------------------------------------------------------- input checks and progress


def test_unknown_or_empty_selection_is_refused(db_con):
    with pytest.raises(ValueError, match="unknown chart\\(s\\): nope; available: .*workload-split"):
        briefing.select_charts(["nope"])
    with pytest.raises(ValueError, match="at least one chart"):
        briefing.build_pack(db_con, sc.defaults(), "en", slugs=[])
    with pytest.raises(ValueError, match="images_mode must be one of"):
        briefing.build_pack(db_con, sc.defaults(), "en", images_mode="sometimes")


def test_progress_counts_up_to_the_total(db_con, fake_charts):
    seen = []
    briefing.build_pack(
        db_con, sc.defaults(), "en", slugs=["t-line", "t-column"], images_mode="never", progress=lambda *a: seen.append(a)
    )
    done = [d for d, _, _ in seen]
    assert done == sorted(done) and done[0] == 0
    assert {total for _, total, _ in seen} == {2 * 2 + 3}
    assert seen[-1][0] == seen[-1][1]


def test_build_spec_replaces_the_registry_builder(db_con):
    calls = []

    def cached(chart):
        calls.append(chart.slug)
        return chart.build(db_con, {}, "en")

    pack = briefing.build_pack(None, sc.defaults(), "en", slugs=["workload-split"], images_mode="never", build_spec=cached)
    assert calls == ["workload-split"] and len(deck_of(pack).slides) == 3


# ---------------------------------------------------------------- per-chart files and the browser lookup


def test_chart_html_is_self_contained(db_con):
    spec = chartspec.chart_def("workload-split").build(db_con, {}, "zh")
    page = chart_html(spec.figure, slug=spec.slug, lang="zh").decode("utf-8")
    assert '<html lang="zh-CN">' in page
    assert f"<title>{spec.title}</title>" in page
    assert "<script src=" not in page  # nothing fetched: plotly.js is inlined
    assert "plotly.js v" in page and len(page) > 1_000_000
    assert chart_file_name(spec.slug, "zh") in page  # the camera button's file name travels with it


def test_a_wrong_browser_path_is_reported_not_searched_around(no_browser):
    assert images.find_browser() is None
    assert "no-chromium" in images.unavailable_reason()
    with pytest.raises(images.ImagesUnavailable, match="no-chromium"):
        images.ImageRenderer(None).render(go.Figure())


def test_the_warm_renderer_draws_png_and_svg():
    renderer = images.default_renderer()
    assert renderer is images.default_renderer()  # one per process
    fig = go.Figure(go.Bar(x=["算力"], y=[1]))
    assert renderer.render(fig, fmt="png", width=200, height=100).startswith(PNG_MAGIC)
    assert b"<svg" in renderer.render(fig, fmt="svg", width=200, height=100)[:200]


@pytest.mark.parametrize(
    "lang, expected", [("en", "Shipments: base value (million units): 1"), ("zh", "出货量：基准值（万台）：100")]
)
def test_cover_gives_a_changed_base_value_in_its_charts_unit(db_con, lang, expected):
    values = {**sc.defaults(), "ship_base_value": 100.0}
    pack = briefing.build_pack(db_con, values, lang, scenario_name="x", slugs=["ai-server-shipments"], images_mode="never")
    cover = "\n".join(texts(deck_of(pack).slides[0]))
    assert expected in cover
    assert "10,000 units" not in cover


DATA_FIELDS = ("x", "y", "z", "ids", "parents", "values", "customdata", "lat", "lon", "locations")


class OrderedFakeRenderer:
    """Draws a different tiny PNG per figure (its width counts the calls), slowest first, recording which."""

    def __init__(self):
        self.by_data: dict[str, bytes] = {}
        self.calls = 0

    @staticmethod
    def data_key(fig: go.Figure) -> str:
        # The first trace's data only: a slide's layout may add traces after it (the regions map's insets), place
        # labels (a bubble chart's textposition) and redraw a hierarchy as another kind (an icicle as a treemap).
        first = fig.to_plotly_json()["data"][0]
        return json.dumps({k: first.get(k) for k in DATA_FIELDS}, sort_keys=True, default=str)

    def render(self, fig, *, fmt="png", width=1200, height=600, scale=1):
        import struct
        import time
        import zlib

        self.calls += 1
        number = self.calls
        time.sleep(0.2 if number == 1 else 0.01)  # the first one finishes last
        row = b"\x00" + b"\x80\x80\x80" * number

        def chunk(kind, body):
            return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

        png = PNG_MAGIC + chunk(b"IHDR", struct.pack(">IIBBBBB", number, 1, 8, 2, 0, 0, 0))
        png += chunk(b"IDAT", zlib.compress(row)) + chunk(b"IEND", b"")
        self.by_data[self.data_key(fig)] = png
        return png


def test_pictures_drawn_ahead_two_at_a_time_land_on_their_own_slides(db_con):
    renderer = OrderedFakeRenderer()
    specs = briefing.build_specs(db_con, sc.defaults(), "en")
    pack = briefing.assemble_pack(
        specs, scenario_name=sc.BASELINE_NAME, scenario_values=sc.defaults(), lang="en", images_mode="always", renderer=renderer
    )
    deck = deck_of(pack)
    assert pack.image_charts == len(specs) == renderer.calls == len(renderer.by_data)  # one key per picture
    for number, spec in enumerate(specs, start=1):
        drawn = pictures(deck.slides[number])
        assert len(drawn) == 1, spec.slug
        expected = renderer.by_data[OrderedFakeRenderer.data_key(spec.figure)]
        assert drawn[0].image.blob == expected, spec.slug
