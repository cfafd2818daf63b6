"""One layout per medium (analysis/chart_layout.py): each export path asks it for its layout, and the layout keeps
the plot at least half a landscape picture's height by growing the picture. Fast: a recording renderer stands in
for Chromium here; tests/test_export_layout.py renders every chart for real and measures the files."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import plotly.graph_objects as go
import pytest

from analysis import api as api_module
from analysis import scenario
from analysis.api import Api, embed_snippet
from analysis.briefing import assemble_pack, picture_box, slide_picture
from analysis.chart_export import chart_png, chart_svg
from analysis.chart_layout import (
    FILE,
    FILE_HEIGHT_PX,
    FILE_WIDTH_PX,
    MIN_PLOT_SHARE,
    SCREEN,
    api_medium,
    category_rows_px,
    lay_out,
    scenario_subtitle,
    slide_medium,
)
from analysis.charts import MODEBAR_PX, apply_house_style, fit_layout
from analysis.chartspec import chart_def
from analysis.db import connect_readonly
from analysis.deck_template import DEFAULT_TEMPLATE, Box
from analysis.i18n import LANGS, t
from ui import warmup


def _png(width: int, height: int) -> bytes:
    """A valid blank PNG of the given size (python-pptx reads the header of what it is given)."""
    raw = b"".join(b"\x00" + b"\xff" * (width * 3) for _ in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


class RecordingRenderer:
    """Stands in for images.ImageRenderer: keeps what it was asked to draw, answers a tiny file."""

    def __init__(self):
        self.calls: list[dict] = []

    def render(self, fig, *, fmt="png", width=1200, height=600, scale=1):
        self.calls.append({"figure": go.Figure(fig), "fmt": fmt, "width": width, "height": height, "scale": scale})
        return _png(4, 3) if fmt == "png" else b"<svg/>"


def _same(a: go.Figure, b: go.Figure) -> bool:
    return json.loads(a.to_json()) == json.loads(b.to_json())


def _plot_share(fig: go.Figure, height_px: float) -> float:
    """The plot's share of a picture of `height_px` drawn from `fig` (plotly keeps the margins in pixels)."""
    return (height_px - fig.layout.margin.t - fig.layout.margin.b) / height_px


def _legend_heavy_figure(entries: int = 12) -> go.Figure:
    fig = go.Figure()
    for i in range(entries):
        fig.add_trace(go.Scatter(x=[2021, 2030], y=[i, i + 1], name=f"A long series name number {i} (another definition)"))
    return apply_house_style(fig, title="A title long enough to wrap on a phone, as real titles do", source_line="X", lang="en")


@pytest.fixture(scope="module")
def con(built_db):
    connection = connect_readonly(built_db)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def api(built_db: Path, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ATLAS_DB_PATH", str(built_db))
        mp.setenv("ATLAS_USER_DATA_DIR", str(tmp_path_factory.mktemp("layout-userdata")))
        mp.delenv(api_module.ALLOW_ORIGIN_ENV, raising=False)
        recorder = RecordingRenderer()
        made = Api(renderer_factory=lambda: recorder)
        made.recorder = recorder
        yield made


@pytest.fixture
def fresh_api(api):
    """An Api with empty image caches (in `api`'s environment), so every request draws."""
    recorder = RecordingRenderer()
    made = Api(renderer_factory=lambda: recorder)
    made.recorder = recorder
    return made


# ---------------------------------------------------------------- the layout itself


def test_a_file_grows_taller_rather_than_squeeze_the_plot():
    picture = lay_out(_legend_heavy_figure(), FILE)
    assert picture.width_px == FILE_WIDTH_PX
    assert picture.height_px > FILE_HEIGHT_PX, "twelve legend entries do not fit 560 px with the plot"
    assert _plot_share(picture.figure, picture.height_px) >= MIN_PLOT_SHARE
    assert picture.figure.layout.height == picture.height_px


def test_a_file_that_fits_keeps_its_size():
    fig = apply_house_style(go.Figure(go.Scatter(x=[1, 2], y=[1, 2], name="one")), title="T", source_line="X", lang="en")
    picture = lay_out(fig, FILE)
    assert (picture.width_px, picture.height_px) == (FILE_WIDTH_PX, FILE_HEIGHT_PX)


def test_a_picture_has_no_room_kept_for_the_toolbar():
    fig = _legend_heavy_figure()
    screen, file = lay_out(fig, SCREEN).figure, lay_out(fig, FILE).figure
    # The screen keeps the toolbar's strip above the legend (its title is the page's text, not the figure's).
    assert file.layout.title.pad.t < MODEBAR_PX <= screen.layout.margin.t


def test_a_slide_picture_leaves_title_and_source_to_the_slide_and_keeps_its_plot():
    fig = apply_house_style(go.Figure(go.Scatter(x=[1, 2], y=[1, 2], name="one")), title="T", source_line="X", lang="en")
    picture = lay_out(fig, slide_medium(1000, 370))
    assert (picture.width_px, picture.height_px) == (1000, 370)
    assert not picture.figure.layout.title.text
    assert not [a for a in picture.figure.layout.annotations if a.name == "source-line"]
    crowded = lay_out(_legend_heavy_figure(), slide_medium(1000, 370))
    assert crowded.width_px == 1000 and crowded.height_px > 370
    assert _plot_share(crowded.figure, crowded.height_px) >= MIN_PLOT_SHARE


def test_a_taller_picture_is_fitted_into_the_slides_box_not_stretched():
    box = Box(1.0, 2.0, 10.0, 3.7)
    left, top, width, height = picture_box(_png(1000, 740), box)  # twice the box's height for its width
    assert height == pytest.approx(3.7) and width == pytest.approx(3.7 * 1000 / 740)
    assert left == pytest.approx(1.0 + (10.0 - width) / 2) and top == pytest.approx(2.0)
    assert picture_box(_png(1000, 370), box) == pytest.approx((1.0, 2.0, 10.0, 3.7))


def test_horizontal_bars_get_a_row_per_label(con):
    spec = chart_def("report-card").build(con, scenario.defaults(), "en")
    picture = lay_out(spec.figure, FILE)
    plot_px = picture.height_px - picture.figure.layout.margin.t - picture.figure.layout.margin.b
    assert category_rows_px(picture.figure) >= category_rows_px(spec.figure) > 0
    assert plot_px >= category_rows_px(picture.figure), "two-line labels of 16 bars printed over each other"
    label_px = max(len(line) for label in spec.figure.data[0].y for line in label.split("<br>")) * 6.6
    assert picture.figure.layout.margin.l >= label_px, "labels cut at the picture's left edge"


def test_legend_groups_do_not_stack_the_legend_in_one_column():
    # plotly stacks legend groups one per column ("grouped", its default once a trace has a group): the rows
    # fit_layout reserves would then hold half the entries and the rest would run over the source line.
    fig = _legend_heavy_figure()
    fig.data[0].legendgroup = "fan"
    assert fit_layout(fig, width_px=1000).layout.legend.traceorder == "normal"


# ---------------------------------------------------------------- every export path asks the layout


@pytest.mark.parametrize("make, fmt, scale", [(chart_svg, "svg", 1), (chart_png, "png", 2)])
def test_the_downloads_are_the_files_layout(con, make, fmt, scale):
    spec = chart_def("ai-server-market").build(con, scenario.defaults(), "zh")
    recorder = RecordingRenderer()
    make(spec.figure, recorder, subtitle="S")
    (call,) = recorder.calls
    expected = lay_out(spec.figure, FILE, subtitle="S")
    assert _same(call["figure"], expected.figure)
    assert (call["fmt"], call["width"], call["height"], call["scale"]) == (fmt, expected.width_px, expected.height_px, scale)
    # Before: the phone layout (880 px tall) squeezed into 1000 × 560 left the plot 46 px in zh.
    assert _plot_share(call["figure"], call["height"]) >= MIN_PLOT_SHARE


@pytest.mark.parametrize("fmt", ["svg", "png"])
@pytest.mark.parametrize("size", [{}, {"width": "390", "height": "700"}])
def test_api_pictures_are_laid_out_for_the_requested_size(fresh_api, con, fmt, size):
    api = fresh_api
    query = [("lang", "en"), ("mkt_cagr", "25"), *size.items()]
    response = api.handle("GET", f"/api/v1/charts/ai-server-market.{fmt}", query, {})
    assert response.status == 200
    (call,) = api.recorder.calls
    values = {**scenario.defaults(), "mkt_cagr": 25.0}
    spec = chart_def("ai-server-market").build(con, values, "en")
    subtitle = api.picture_subtitle(chart_def("ai-server-market"), spec, values, "", "en")
    medium = api_medium(int(size.get("width", FILE_WIDTH_PX)), int(size.get("height", FILE_HEIGHT_PX)))
    expected = lay_out(spec.figure, medium, subtitle=subtitle)
    assert _same(call["figure"], expected.figure), "the API drew a figure the layout did not make"
    assert (call["width"], call["height"]) == (expected.width_px, expected.height_px)


def test_the_api_default_picture_is_the_downloads_picture(fresh_api, con):
    api = fresh_api
    api.handle("GET", "/api/v1/charts/workload-outlook.png", [("lang", "zh")], {})
    (from_api,) = api.recorder.calls
    spec = chart_def("workload-outlook").build(con, scenario.defaults(), "zh")
    recorder = RecordingRenderer()
    chart_png(
        spec.figure, recorder, subtitle=api.picture_subtitle(chart_def("workload-outlook"), spec, scenario.defaults(), "", "zh")
    )
    (download,) = recorder.calls
    assert _same(from_api["figure"], download["figure"])
    assert (from_api["width"], from_api["height"], from_api["scale"]) == (
        download["width"],
        download["height"],
        download["scale"],
    )


def test_the_deck_pictures_are_the_slides_layout(con):
    specs = [chart_def(slug).build(con, scenario.defaults(), "en") for slug in ("regions-map", "workload-split")]
    recorder = RecordingRenderer()
    assemble_pack(
        specs, scenario_name=scenario.BASELINE_NAME, scenario_values={}, lang="en", images_mode="always", renderer=recorder
    )
    tpl = DEFAULT_TEMPLATE
    assert len(recorder.calls) == len(specs)
    for spec in specs:
        expected = slide_picture(spec.figure, tpl)
        assert expected.medium == slide_medium(tpl.image_width_px, tpl.image_height_px)
        assert any(_same(c["figure"], expected.figure) and c["scale"] == tpl.image_scale for c in recorder.calls)


# ---------------------------------------------------------------- what a picture says about its scenario


@pytest.mark.parametrize("lang", LANGS)
def test_an_api_picture_says_scenario_against_baseline(fresh_api, lang):
    def subtitle(query) -> str:
        assert fresh_api.handle("GET", "/api/v1/charts/ai-server-market.svg", [("lang", lang), *query], {}).status == 200
        return fresh_api.recorder.calls[-1]["figure"].layout.title.subtitle.text or ""

    moved = subtitle([("mkt_cagr", "25")])
    baseline = subtitle([])
    unsaved = t("briefing.unsaved_scenario", lang)
    assert unsaved in moved and ("25" in moved), moved
    assert unsaved not in baseline, baseline
    assert moved.split("(")[0] != baseline.split("(")[0]  # at mkt_cagr=25 it no longer reads as the baseline


def test_a_chart_no_scenario_changes_gets_no_scenario_line(fresh_api):
    fresh_api.handle("GET", "/api/v1/charts/industry-value-chain.svg", [("lang", "en")], {})
    assert not fresh_api.recorder.calls[-1]["figure"].layout.title.subtitle.text


@pytest.mark.parametrize("lang", LANGS)
def test_scenario_lines_are_translated(lang):
    baseline = scenario_subtitle(scenario.BASELINE_NAME, baseline=True, assumptions={}, lang=lang)
    custom = scenario_subtitle("Q3 plan", baseline=False, assumptions={"CAGR": "25%"}, lang=lang)
    assert baseline == t("export.scenario_baseline", lang)
    assert "Q3 plan" in custom and "CAGR" in custom and "25%" in custom
    assert custom == t(
        "export.scenario_custom_with", lang, name="Q3 plan", assumptions=t("briefing.assumption", lang, label="CAGR", value="25%")
    )


def test_the_embed_snippet_leaves_the_height_to_the_picture():
    snippet = embed_snippet("/api/v1/charts/ai-server-market.png?lang=en", "Market")
    assert 'width="1000"' in snippet and "height=" not in snippet  # a picture may grow taller than 560 px


# ---------------------------------------------------------------- a fast first picture


def test_the_start_up_warm_up_draws_a_first_picture(monkeypatch):
    from analysis import images

    drawn = []
    monkeypatch.setattr(images, "unavailable_reason", lambda: None)
    monkeypatch.setattr(images, "render", lambda fig, **options: drawn.append(options) or b"")
    monkeypatch.setattr(warmup, "warm_up", lambda: 0.0)
    warmup._run()
    assert drawn and drawn[0]["fmt"] == "png", "the image browser is started and has drawn once"


def test_no_chromium_no_warm_up_picture(monkeypatch):
    from analysis import images

    monkeypatch.setattr(images, "unavailable_reason", lambda: "no Chromium")
    monkeypatch.setattr(images, "render", lambda fig, **options: pytest.fail("no browser to start"))
    assert warmup.warm_images() >= 0
