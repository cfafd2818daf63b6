"""Every registered chart builds in both languages with its data, source line and a consistent native form."""

from __future__ import annotations

import pytest

from analysis import scenario
from analysis.chartspec import chart_def, chart_defs
from analysis.i18n import LANGS
from analysis.sitemap import PAGES_BY_ID

CHARTS = [c.slug for c in chart_defs()]


def test_slugs_are_unique_and_pages_exist():
    defs = chart_defs()
    assert len({c.slug for c in defs}) == len(defs)
    assert all(c.page_id in PAGES_BY_ID for c in defs), [c.page_id for c in defs if c.page_id not in PAGES_BY_ID]
    with pytest.raises(ValueError, match="unknown chart 'nope'"):
        chart_def("nope")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("slug", CHARTS)
def test_chart_builds_with_source_and_data(db_con, slug, lang):
    spec = chart_def(slug).build(db_con, scenario.defaults(), lang)
    assert spec.slug == slug
    assert spec.title and "⟦" not in spec.title and "⟦" not in spec.takeaway
    assert spec.source_line.strip()
    assert not spec.data.empty
    assert spec.figure.data, "the figure has no traces"
    if spec.native is not None:
        assert spec.native.categories
        for series in spec.native.series:
            assert len(series.values) == len(spec.native.categories), series.name


def test_wrapped_title_leaves_no_last_line_of_one_character():
    from analysis.charts import wrap_text

    lines = wrap_text("中国算力布局：东数西算枢纽、集群与智算中心", 40).split("<br>")
    assert len(lines) == 2
    assert len(lines[-1]) >= 3  # not "心" alone
    assert "".join(lines) == "中国算力布局：东数西算枢纽、集群与智算中心"


def test_a_screen_figure_gives_the_plain_figures_dict_as_a_fresh_copy_each_time():
    import plotly.graph_objects as go
    import plotly.io as pio

    from analysis.chartspec import ScreenFigure

    plain = go.Figure(go.Scatter(x=[2021, 2022, 2023], y=[1.5, float("nan"), 3.25], name="一"))
    plain.update_layout(title_text="标题", height=300)
    screen = ScreenFigure(plain)
    assert pio.to_json(screen.to_dict()) == pio.to_json(plain.to_dict())
    first = screen.to_dict()
    first["layout"]["height"] = 999
    first["data"][0]["name"] = "changed"
    again = screen.to_dict()
    assert again["layout"]["height"] == 300 and again["data"][0]["name"] == "一", "callers get their own copy"
    import pickle

    restored = pickle.loads(pickle.dumps(screen))  # cache_data pickles specs that hold one
    assert isinstance(restored, ScreenFigure)
    assert pio.to_json(restored.to_dict()) == pio.to_json(plain.to_dict())


def test_wrap_keeps_a_short_full_width_aside_on_one_line():
    from analysis.charts import wrap_text

    for width in range(16, 34):
        lines = wrap_text("后续：IDC · 2025-02（口径已变）", width).split("<br>")
        assert not [line for line in lines if line.count("（") != line.count("）")], (width, lines)
