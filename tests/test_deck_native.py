"""The deck's native charts and slide layout, read back from the pptx (no LibreOffice): line styles as on
screen, one legend entry per visible thing, no line across editions, no markup, no type below 9 pt."""

from __future__ import annotations

import io

import numpy as np
import plotly.graph_objects as go
import pytest
from deck_xml import all_text, legend_hidden, series_look, series_xml, small_runs
from pptx import Presentation

from analysis import briefing, later, market
from analysis import scenario as sc
from analysis.chartspec import NativeChart, NativeSeries
from analysis.deck_template import DEFAULT_TEMPLATE
from analysis.i18n import LANGS, t
from analysis.market_charts import later_label

SERIES_OF = {"ai-server-market": "market", "ai-server-shipments": "shipments", "cn-intelligent-compute": "icc"}
FORECAST_SLUGS = tuple(SERIES_OF)


@pytest.fixture(scope="module", params=LANGS)
def deck(request, db_con):
    """Every registered chart, baseline scenario, no pictures: (lang, specs, pack, Presentation)."""
    lang = request.param
    specs = briefing.build_specs(db_con, sc.defaults(), lang)
    pack = briefing.assemble_pack(
        specs, scenario_name=sc.BASELINE_NAME, scenario_values=sc.defaults(), lang=lang, images_mode="never"
    )
    return lang, specs, pack, Presentation(io.BytesIO(pack.pptx))


def test_forecast_charts_keep_the_screen_encodings(deck):
    """Dashed baseline, a solid scenario wider than anything under it, the report's points as markers only,
    the band's two edges alike and named once; the legend lists only what is drawn."""
    lang, specs, pack, prs = deck
    for slug in FORECAST_SLUGS:
        index = pack.slugs.index(slug)
        slide = prs.slides[1 + index]
        sid = SERIES_OF[slug]
        looks = {name: series_look(ser) for name, ser in series_xml(slide)}
        names = [name for name, _ in series_xml(slide)]
        baseline, scenario = looks[market.series_label("baseline", sid, lang)], looks[market.series_label("scenario", sid, lang)]
        report = looks[market.series_label("report", sid, lang)]
        assert baseline["line"] and baseline["dash"] != "solid", (slug, baseline)
        assert scenario["line"] and scenario["dash"] == "solid" and int(scenario["width"]) > int(baseline["width"]), slug
        assert not report["line"] and report["marker"] == "diamond", (slug, report)
        derived = looks[market.series_label("derived", sid, lang)]
        assert derived["dash"] == "dash", (slug, derived)
        band = market.series_label("band", sid, lang)
        edges = [i for i, name in enumerate(names) if name in (band, market.series_label("p10", sid, lang))]
        assert len(edges) == 2, (slug, names)
        assert series_look(series_xml(slide)[edges[0]][1]) == series_look(series_xml(slide)[edges[1]][1])
        assert series_look(series_xml(slide)[edges[0]][1])["marker"] == "none"
        hidden = legend_hidden(slide)
        shown = [name for i, name in enumerate(names) if i not in hidden]
        assert shown.count(band) == 1 and market.series_label("p10", sid, lang) not in shown, (slug, shown)
        assert market.series_label("p90", sid, lang) not in names
        assert len(shown) == len(set(shown))
        # The scenario is drawn after (over) the Monte Carlo median and the baseline; the report's points last.
        assert names.index(market.series_label("scenario", sid, lang)) > names.index(market.series_label("p50", sid, lang))
        assert names[-1] == market.series_label("report", sid, lang)


def test_visible_series_of_every_native_line_chart_look_different_and_as_on_screen(deck):
    lang, specs, pack, prs = deck
    checked = 0
    for slide, spec in zip(list(prs.slides)[1 : 1 + len(specs)], specs, strict=True):
        if spec.native is None or spec.native.kind != "line":
            continue
        series = series_xml(slide)
        hidden = legend_hidden(slide)
        seen = [tuple(sorted(series_look(ser).items(), key=str)) for i, (_, ser) in enumerate(series) if i not in hidden]
        assert len(seen) == len(set(seen)), (spec.slug, [name for name, _ in series])
        traces = {tr.name: tr for tr in spec.figure.data if tr.name}
        for name, ser in series:  # as the trace of the same name shows it on screen
            trace, look = traces.get(name), series_look(ser)
            if trace is None or trace.fill:
                continue
            mode = trace.mode or "lines+markers"
            assert look["line"] == ("lines" in mode and trace.line.width != 0), (spec.slug, name, look)
            assert (look["dash"] != "solid") == (trace.line.dash in ("dot", "dash")), (spec.slug, name, look)
            sizes = trace.marker.size if isinstance(trace.marker.size, (list, tuple)) else [trace.marker.size]
            markers_shown = "markers" in mode and any(size != 0 for size in sizes)
            assert (look["marker"] != "none") == markers_shown, (spec.slug, name, look)
        checked += 1
    assert checked >= 6


def test_no_line_joins_two_editions_of_later_figures(deck, db_con):
    """Slide 5 once drew 1,460 (2026, Feb-2025 edition) → 1,117 (2027, Nov-2023 edition) as one line."""
    lang, specs, pack, prs = deck
    assert t("later.legend.latest", lang) not in {name for slide in prs.slides for name, _ in series_xml(slide)}
    for slug, sid in (("ai-server-market", "market"), ("cn-intelligent-compute", "icc")):
        view = market.series_view(db_con, sid, {later.LAYER_PARAM: True})
        by_label = {later_label(v, lang): v for v in view.vintages}
        slide = prs.slides[1 + pack.slugs.index(slug)]
        chart = next(shape.chart for shape in slide.shapes if shape.has_chart)
        later_series = [s for s in chart.plots[0].series if s.name in by_label]
        assert later_series, slug
        for series in later_series:
            vintage = by_label[series.name]
            years = {int(c) for c, v in zip(chart.plots[0].categories, series.values, strict=True) if v is not None}
            assert years <= set(vintage.rows["year"]), (slug, series.name, years)


def test_later_charts_keep_definition_change_labels(deck):
    lang, specs, pack, prs = deck
    slide = prs.slides[1 + pack.slugs.index("later-ai-server-market")]
    names = [name for name, _ in series_xml(slide)]
    assert any(t("later.comparability.definitional_break", lang) in name for name in names), names
    assert any(t("later.comparability.different_method", lang) in name for name in names), names


def test_no_markup_in_any_text_of_the_deck(deck):
    """Slide 16 once showed a raw <br> in every category label of the report card."""
    lang, specs, pack, prs = deck
    for number, text in all_text(prs):
        assert "<" not in text and ">" not in text and "&lt;" not in text and "&gt;" not in text, (number, text[:120])


def test_no_run_of_text_below_9_pt(deck):
    """Slide 16's takeaway was set at 6.5 pt, slide 15's footnote at 7.5 pt."""
    lang, specs, pack, prs = deck
    assert small_runs(prs) == []


def test_every_slide_but_the_cover_numbers_itself_out_of_all(deck):
    """The last slide (sources) once carried no footer: the numbering stopped at 19/20."""
    lang, specs, pack, prs = deck
    total = len(prs.slides)
    for number, slide in enumerate(prs.slides, start=1):
        if number == 1:
            continue
        shown = "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
        assert f"· {number}/{total}" in shown, (number, total)


def test_later_figures_are_listed_with_document_and_url(deck, db_con):
    lang, specs, pack, prs = deck
    shown = "\n".join(s.text_frame.text for slide in list(prs.slides)[1 + len(specs) :] for s in slide.shapes if s.has_text_frame)
    ids = {
        figure_id
        for spec in specs
        if t("market.csv.line_code", lang) in spec.data.columns
        for code, figure_id in zip(
            spec.data[t("market.csv.line_code", lang)], spec.data[t("market.csv.figure_id", lang)], strict=True
        )
        if code == "later"
    }
    assert ids, "no chart cites a later figure"
    rows = db_con.execute("SELECT document, url FROM later_figures WHERE list_contains(?, later_id)", [sorted(ids)]).fetchall()
    assert len(rows) == len(ids)
    for document, url in rows:
        assert document in shown and url in shown, document


def test_chart_csv_rows_of_later_figures_carry_edition_and_comparability(db_con):
    view = market.series_view(db_con, "market", {later.LAYER_PARAM: True})
    data = market.long_data(view, "en")
    rows = data[data[t("market.csv.line_code", "en")] == "later"]
    comparability = set(rows[t("market.csv.comparability", "en")])
    assert comparability == {"comparable", "definition_changed", "another_definition"}
    by_id = dict(zip(view.later["later_id"], view.later["edition"], strict=True))
    for figure_id, edition in zip(rows[t("market.csv.figure_id", "en")], rows[t("market.csv.edition", "en")], strict=True):
        assert edition == by_id[figure_id]
    others = data[data[t("market.csv.line_code", "en")] != "later"]
    assert set(others[t("market.csv.comparability", "en")]) == {""}


def test_a_long_takeaway_takes_lines_not_smaller_type():
    short = briefing.slide_layout("One line.", ["Source: X"], DEFAULT_TEMPLATE)
    assert short.takeaway_pt == DEFAULT_TEMPLATE.takeaway_pt and short.chart == DEFAULT_TEMPLATE.chart_box
    long = briefing.slide_layout("A verdict on one more figure. " * 30, ["Source: X"], DEFAULT_TEMPLATE)
    assert long.takeaway_pt >= DEFAULT_TEMPLATE.min_text_pt
    assert long.takeaway.height > DEFAULT_TEMPLATE.takeaway_box.height
    assert long.chart.top >= long.takeaway.top + long.takeaway.height
    assert long.chart.top + long.chart.height <= long.footnote.top
    footnote = ["Source: " + "a long list of producers, " * 40]
    tall = briefing.slide_layout("One line.", footnote, DEFAULT_TEMPLATE)
    assert tall.footnote.height > DEFAULT_TEMPLATE.footnote_box.height
    assert tall.chart.top + tall.chart.height <= tall.footnote.top


def test_plain_text_drops_plotly_markup():
    assert briefing.plain_text("IDC<br>2023 · actual") == "IDC · 2023 · actual"
    assert briefing.plain_text("<b>Bold</b> &amp; R&lt;D") == "Bold & R<D"


def test_series_looks_follow_the_figure():
    figure = go.Figure(
        [
            go.Scatter(x=[1, 2], y=[1.0, 2.0], mode="lines", name="low", showlegend=False, line={"width": 0}),
            go.Scatter(x=[1, 2], y=[3.0, 4.0], mode="lines", name="band", fill="tonexty", fillcolor="rgba(31, 78, 121, 0.2)", line={"width": 0}),
            go.Scatter(x=[1, 2], y=[2.0, 3.0], mode="lines", name="base", line={"dash": "dot", "color": "#112233", "width": 2}),
            go.Scatter(x=[1, 2], y=[2.0, 5.0], mode="markers", name="points",
                       marker={"symbol": np.array(["diamond", "circle-open"]), "size": np.array([12, 0])}),
        ]
    )  # fmt: skip
    native = NativeChart(
        "line",
        ("1", "2"),
        (
            NativeSeries("points", (2.0, 5.0)),
            NativeSeries("base", (2.0, 3.0)),
            NativeSeries("low", (1.0, 2.0)),
            NativeSeries("high edge", (3.0, 4.0)),
        ),
    )
    points, base, low, high = briefing.series_looks(native, figure)
    # per-point symbols and sizes as numpy arrays: a size of 0 hides that point's marker, as on screen
    assert (points.line, points.markers, points.order, points.marker_pt) == (False, ("diamond", None), 3, 9.0)
    assert (base.dash, base.colour, base.width_pt, base.markers) == ("dot", "#112233", 1.5, None)
    assert low.band and high.band and not low.in_legend and high.in_legend and high.name == "band"
    assert (low.colour, low.alpha, low.markers) == (high.colour, high.alpha, None) == ("#1f4e79", pytest.approx(0.6), None)
