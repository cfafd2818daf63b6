"""The screen's layout (analysis.chart_layout.screen_layout): one responsive figure for any column width.

Fast checks of the decisions; tests/browser/test_screen_layout.py measures the result in Chromium at 1400 and
390 px in both languages."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest
from import_rows import apply, csv_bytes, row

from analysis import scorecard
from analysis.chart_layout import (
    DIRECT_LABEL_MAX,
    DIRECT_LABEL_NAME,
    FILE,
    SCREEN,
    SCREEN_LEGEND_COLS,
    SCREEN_X_TITLE_COLS,
    is_off_axis,
    lay_out,
    screen_texts,
)
from analysis.charts import MODEBAR_PX, SOURCE_ANNOTATION_NAME, apply_house_style, display_width
from analysis.chartspec import chart_def, chart_defs
from analysis.db import connect_readonly
from analysis.i18n import LANGS, t
from analysis.scenario import defaults
from analysis.scorecard_chart import error_chart


@pytest.fixture(scope="module")
def con(built_db):
    connection = connect_readonly(built_db)
    yield connection
    connection.close()


def _lines(count: int, *, title: str = "Three groups of players over time, with their computed phases") -> go.Figure:
    fig = go.Figure()
    for i in range(count):
        fig.add_trace(go.Scatter(x=[2020, 2025, 2030], y=[i, i + 2, i + 5], mode="lines", name=f"Group {i} of players"))
    return apply_house_style(fig, title=title, source_line="QbitAI", lang="en")


def _labels(fig: go.Figure) -> list:
    return [a for a in fig.layout.annotations if a.name == DIRECT_LABEL_NAME]


def test_the_screen_leaves_title_and_source_to_the_page():
    """The title is not wrapped for a phone inside the figure: the page shows it as text the browser wraps at
    the column's width, and the source line once under the chart (not also in the figure, ~9 px)."""
    fig = _lines(6)
    screen = lay_out(fig, SCREEN).figure
    assert not screen.layout.title.text
    assert not [a for a in screen.layout.annotations if a.name == SOURCE_ANNOTATION_NAME]
    title, subtitle, source = screen_texts(fig)
    assert title == "Three groups of players over time, with their computed phases"  # whole: no <br> at 35 characters
    assert source == t("chart.source_line", "en", sources="QbitAI")
    assert subtitle == ""
    # The file keeps both in the picture (it needs them).
    file = lay_out(fig, FILE).figure
    assert file.layout.title.text and [a for a in file.layout.annotations if a.name == SOURCE_ANNOTATION_NAME]


def test_the_screen_figure_takes_its_columns_width():
    screen = lay_out(_lines(6), SCREEN).figure
    assert screen.layout.width is None and screen.layout.autosize
    assert screen.layout.margin.autoexpand is not False
    assert screen.layout.xaxis.automargin and screen.layout.yaxis.automargin  # tick labels get their room, never cut


def test_a_long_legend_runs_in_rows_above_the_plot_with_the_rows_a_phone_needs():
    """Plotly sets a legend in columns as wide as its widest entry: entries of a few words keep three columns on
    a desktop column, one on a phone; the figure's height holds the phone's rows above the builder's plot."""
    fig = _lines(DIRECT_LABEL_MAX + 5)
    screen = lay_out(fig, SCREEN).figure
    legend = screen.layout.legend
    # From the figure's top, under the toolbar's strip (always shown on a phone), whatever rows it takes.
    assert legend.orientation == "h" and legend.yref == "container" and legend.yanchor == "top"
    assert round((1 - legend.y) * screen.layout.height) == MODEBAR_PX
    assert screen.layout.showlegend is not False and not _labels(screen)
    widest = max(display_width(line) for tr in screen.data for line in tr.name.split("<br>"))
    assert widest <= SCREEN_LEGEND_COLS
    builder_plot_px = fig.layout.height or 450
    builder_plot_px -= fig.layout.margin.t + fig.layout.margin.b
    reserved_px = screen.layout.height - screen.layout.margin.t - screen.layout.margin.b - builder_plot_px
    assert reserved_px >= 22 * len(fig.data), "no room kept for the legend's rows on a phone"
    assert legend.maxheight >= reserved_px, "plotly would scroll the legend at half the figure's height"
    assert screen.layout.margin.t >= MODEBAR_PX  # the toolbar's strip above the legend


def test_few_lines_are_named_at_their_ends_not_in_a_legend():
    fig = _lines(3)
    screen = lay_out(fig, SCREEN).figure
    labels = _labels(screen)
    assert screen.layout.showlegend is False
    assert [a.text.replace("<br>", " ") for a in labels] == [tr.name for tr in fig.data]
    for label, trace in zip(labels, fig.data, strict=True):
        assert (label.x, label.y) == (trace.x[-1], trace.y[-1]) and label.xanchor == "left"
    assert screen.layout.margin.r > 60, "no room kept right of the plot for the labels"


@pytest.mark.parametrize("count", [DIRECT_LABEL_MAX + 1])
def test_more_lines_keep_a_legend(count):
    screen = lay_out(_lines(count), SCREEN).figure
    assert not _labels(screen) and screen.layout.showlegend is not False


def test_a_stacked_area_keeps_its_legend():
    fig = go.Figure([go.Scatter(x=[1, 2], y=[1, 2], stackgroup="s", name=n) for n in ("a", "b")])
    screen = lay_out(apply_house_style(fig, title="T", source_line="X", lang="en"), SCREEN).figure
    assert not _labels(screen)


@pytest.mark.parametrize("lang", LANGS)
def test_a_series_on_another_definition_is_off_the_axis_until_asked_for(con, lang):
    """IDC's re-scoped series (up to USD 222.7 bn) would set the market chart's y-axis and squash the report's
    series into its bottom quarter: on screen it is hidden (plotly's autorange leaves it out) and its legend
    entry shows it; the files keep it as drawn."""
    spec = chart_def("ai-server-market").build(con, defaults(), lang)
    screen = lay_out(spec.figure, SCREEN).figure
    hidden = [tr for tr in screen.data if tr.visible == "legendonly"]
    kept = [tr for tr in screen.data if tr.visible != "legendonly"]
    off_axis = [i for i, tr in enumerate(spec.figure.data) if is_off_axis(tr)]
    assert [i for i, tr in enumerate(screen.data) if tr.visible == "legendonly"] == off_axis
    names = ["".join(tr.name.replace("<br>", "").split()) for tr in hidden]
    for code in ("definitional_break", "different_method"):
        assert any("".join(t(f"later.comparability.{code}", lang).split()) in name for name in names), code
    top = lambda traces: max(max(v for v in tr.y if v is not None) for tr in traces if tr.y is not None)  # noqa: E731
    assert top(hidden) > 2.5 * top(kept), "the hidden series are the ones that set the scale"
    assert all(tr.visible is not False for tr in screen.data), "every series can be shown"
    assert not [tr for tr in lay_out(spec.figure, FILE).figure.data if tr.visible == "legendonly"]


def test_later_lines_never_join_two_editions(con):
    """Each later line is one vintage (edition): its hover names that one edition at every point."""
    spec = chart_def("ai-server-market").build(con, defaults(), "en")
    for trace in lay_out(spec.figure, SCREEN).figure.data:
        if trace.customdata is not None and "lines" in (trace.mode or "") and len(trace.customdata[0]) == 4:
            assert len({row[0] for row in trace.customdata}) == 1, trace.name


def test_every_registered_chart_on_screen_has_no_title_or_source_in_the_figure(con):
    for chart in chart_defs():
        spec = chart.build(con, defaults(), "zh")
        screen = lay_out(spec.figure, SCREEN).figure
        assert not screen.layout.title.text, chart.slug
        assert not [a for a in screen.layout.annotations if a.name == SOURCE_ANNOTATION_NAME], chart.slug
        assert screen_texts(spec.figure)[0], f"{chart.slug}: no title for the page to show"


def test_the_report_cards_error_chart_gets_the_left_margin_its_labels_need(db_con, built_db, tmp_path, monkeypatch):
    """pages/scorecard.py showed this figure as built: plotly cut its long labels at the left. On screen it is
    laid out like every chart: the y-axis' labels push the margin (automargin)."""
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(tmp_path / "userdata"))
    monkeypatch.setenv("ATLAS_DB_PATH", str(built_db))
    apply(db_con, csv_bytes([row()]))
    fig = error_chart(scorecard.scorecard(db_con), "zh", source_line="source")
    screen = lay_out(fig, SCREEN).figure
    assert screen.layout.yaxis.automargin and screen.layout.xaxis.automargin
    # Its x-axis title (21 characters in zh) is wider than a phone's plot: wrapped, not cut at the right.
    assert all(display_width(line) <= SCREEN_X_TITLE_COLS for line in screen.layout.xaxis.title.text.split("<br>"))
    assert not screen.layout.title.text


def _text_fields(trace) -> list[str]:
    values = []
    for field in ("name", "hovertemplate", "hovertext", "text", "texttemplate"):
        value = getattr(trace, field, None)
        if isinstance(value, str):
            values.append(value)
        elif value is not None:
            values += [str(v) for v in value]
    return values


@pytest.mark.parametrize("lang", LANGS)
def test_no_hover_label_on_screen_cuts_a_name_or_shows_a_legend_line_break(con, lang):
    """The screen wraps long legend names with <br>: a hover label names the series whole (plotly's default
    cuts it at 15 characters: "Derived from...", "英伟达 A100（SXM4..."), on one line where the template names
    it (`%{fullData.name}`), and no text carries an escaped tag plotly would print literally."""
    for chart in chart_defs():
        screen = lay_out(chart.build(con, defaults(), lang).figure, SCREEN).figure
        for trace in screen.data:
            shows_name = trace.hoverinfo not in ("skip", "none") and trace.name
            if shows_name and trace.hovertemplate is None:
                namelength = trace.hoverlabel.namelength
                namelength = screen.layout.hoverlabel.namelength if namelength is None else namelength
                assert namelength == -1, (chart.slug, trace.name)
            if "<br>" in (trace.name or "") and isinstance(trace.hovertemplate, str):
                assert "%{fullData.name}" not in trace.hovertemplate, (chart.slug, trace.name)
            assert not [v for v in _text_fields(trace) if "&lt;br" in v or "&lt;b&gt;" in v], (chart.slug, trace.name)
