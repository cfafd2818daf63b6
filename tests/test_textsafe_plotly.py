"""User text in plotly figures: drawn as the text it is, never as plotly's HTML (a link, bold, a styled span).

Plotly renders `<a href>`, `<b>`, `<span style>`, `<br>` and entities in legend names, hover text, titles,
annotations and axis labels. Every figure built here gets a hostile scenario name, version name or citation;
no string anywhere in the figure may hold a raw tag from it.
"""

from __future__ import annotations

import pytest

from analysis.textsafe import escape_plot_text

HOSTILE = '<a href="http://198.51.100.7/x">Bull case</a>'
HOSTILE_SHOWN = '&lt;a href="http://198.51.100.7/x"&gt;Bull case&lt;/a&gt;'


def _strings(node):
    """Every string in a figure's JSON (data, layout, annotations, hover templates, custom data)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _strings(value)
    elif hasattr(node, "tolist"):  # numpy arrays of custom data
        yield from _strings(node.tolist())


def _raw_tags(figure) -> list[str]:
    return [s for s in _strings(figure.to_plotly_json()) if "<a" in s or '198.51.100.7/x">' in s or "<b>Bull" in s]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (HOSTILE, HOSTILE_SHOWN),
        ("<b>bold</b> & <br>", "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;br&gt;"),
        ("&lt;a href=x&gt;", "&amp;lt;a href=x&amp;gt;"),  # an entity plotly would decode stays literal
        ("&#60;a&#62;", "&amp;#60;a&amp;#62;"),
        ("line\nbreak\u202eRTL", "line break RTL"),
        ("牛市 Q3 plan", "牛市 Q3 plan"),
    ],
)
def test_escape_plot_text(text, shown):
    assert escape_plot_text(text) == shown


def test_comparison_chart_draws_a_hostile_scenario_name_as_text(db_con):
    from analysis import market_charts

    spec = market_charts.compare_chart(db_con, "market", {"baseline": {}, HOSTILE: {"mkt_cagr": 30.0}}, "en")
    assert _raw_tags(spec.figure) == []
    assert HOSTILE_SHOWN in [trace.name for trace in spec.figure.data]
    # The chart's data (its CSV) keeps the name as typed; the download guards it as a spreadsheet cell instead.
    assert HOSTILE in set(spec.data.iloc[:, 0])


def test_comparison_chart_in_chinese_too(db_con):
    from analysis import market_charts

    spec = market_charts.compare_chart(db_con, "market", {HOSTILE: {}}, "zh")
    assert _raw_tags(spec.figure) == []


@pytest.fixture
def imported_store(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(tmp_path / "userdata"))
    return tmp_path / "userdata"


@pytest.mark.parametrize("slug", ["ai-server-shipments"])
def test_forecast_chart_draws_a_hostile_import_as_text(db_con, imported_store, slug):
    from import_rows import apply, csv_bytes, row

    from analysis import scenario as sc
    from analysis.chartspec import chart_def

    hostile_source = '<a href="http://198.51.100.7/x">IDC tracker</a>'
    apply(db_con, csv_bytes([row(figure_id="test_link_2024_actual", period="2024", source=hostile_source)]), name=HOSTILE)
    spec = chart_def(slug).build(db_con, sc.defaults(), "en")
    imported = [trace for trace in spec.figure.data if trace.customdata is not None and HOSTILE_SHOWN in str(trace.customdata)]
    assert imported, "the imported figure is drawn, with its version name as hover text"
    assert _raw_tags(spec.figure) == []
