"""Regions: the province geometry, point-in-polygon checks of every site, queries, the map figure and its table."""

from __future__ import annotations

import itertools
import json
import math
import sys

import pandas as pd
import pytest
from conftest import PROJECT_ROOT

from analysis import regions
from analysis.chart_export import chart_html
from analysis.chartspec import chart_def
from analysis.format import format_figure
from analysis.i18n import LANGS, t
from analysis.static_assets import inline_static_geojson, static_path

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
import build_china_geojson as geo_build  # noqa: E402

GEO_MAX_BYTES = 300_000  # the browser fetches the geometry once per page load
MAX_FIGURE_JSON_CHARS = 45_000  # what a layer switch sends (the shapes stay in the browser; the two insets add ~14 kB)
ALL_ON = dict.fromkeys(regions.LAYER_PARAM.values(), True)
ALL_OFF = dict.fromkeys(regions.LAYER_PARAM.values(), False)


@pytest.fixture(scope="module")
def geo() -> dict:
    return regions.load_provinces()


@pytest.fixture(scope="module")
def site_frame(db_con) -> pd.DataFrame:
    return regions.sites(db_con)


# ---------------------------------------------------------------- the geometry file


def test_geometry_loads_small_with_its_licence_recorded(geo):
    assert regions.GEOJSON_PATH.stat().st_size < GEO_MAX_BYTES
    assert geo["type"] == "FeatureCollection" and geo["license"] == "Apache-2.0"
    assert "echarts" in geo["source"].lower()
    folder = regions.GEOJSON_PATH.parent
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "Apache" in readme and "4.9.0" in readme
    assert "Apache License" in (folder / "LICENSE-echarts-Apache-2.0.txt").read_text(encoding="utf-8")


def test_geometry_covers_all_34_provincial_divisions_and_the_south_china_sea_inset(geo):
    ids = [f["id"] for f in geo["features"]]
    assert len(ids) == len(set(ids)), "feature ids must be unique"
    provinces = regions.province_table(geo)
    assert len(provinces) == len(geo_build.PROVINCES_EN) == 34
    assert {"台湾", "香港", "澳门", "海南"} <= set(provinces["name_zh"])
    assert regions.INSET_ID in ids
    assert provinces["name_en"].notna().all() and (provinces["name_en"] != "").all()


def test_every_ring_is_closed_with_at_least_four_points(geo):
    for feature in geo["features"]:
        assert feature["geometry"]["type"] == "MultiPolygon"
        for polygon in feature["geometry"]["coordinates"]:
            for ring in polygon:
                assert len(ring) >= 4 and ring[0] == ring[-1], feature["id"]


def test_taiwan_includes_diaoyu_dao(geo):
    # 钓鱼岛 lies at about 123.47°E, 25.74°N (the shape ECharts adds to 台湾).
    assert regions.provinces_at(geo, 123.47, 25.743) == ["台湾"]


def _data_provinces(db_con) -> pd.DataFrame:
    frames = [
        db_con.execute(f"SELECT province_zh, province_en FROM {table} WHERE province_zh IS NOT NULL").df()
        for table in ("dsxs_nodes", "computing_centres", "icc_cities", "region_members")
    ]
    rows = []
    for frame in frames:
        for zh, en in zip(frame["province_zh"], frame["province_en"], strict=True):
            rows.extend(zip(regions.split_provinces(zh), regions.split_provinces(en), strict=True))
    return pd.DataFrame(rows, columns=["province_zh", "province_en"]).drop_duplicates()


def test_every_province_in_the_data_joins_to_a_shape_with_the_same_english_name(db_con, geo):
    names = dict(zip(*regions.province_table(geo)[["name_zh", "name_en"]].T.values, strict=True))
    data_provinces = _data_provinces(db_con)
    assert len(data_provinces) > 10
    unmatched = [(zh, en) for zh, en in data_provinces.itertuples(index=False) if names.get(zh) != en]
    assert unmatched == []


# ---------------------------------------------------------------- point in polygon


SQUARE = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]
HOLE = [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]


@pytest.mark.parametrize(
    "lon, lat, inside",
    [(5, 5, True), (0.5, 9.5, True), (-1, 5, False), (11, 5, False), (5, 10.5, False), (5, -0.1, False)],
)
def test_ring_contains(lon, lat, inside):
    assert regions.ring_contains(SQUARE, lon, lat) is inside


@pytest.mark.parametrize("lon, lat, inside", [(2, 2, True), (5, 5, False), (20, 20, False)])
def test_feature_contains_respects_holes(lon, lat, inside):
    feature = {"geometry": {"type": "Polygon", "coordinates": [SQUARE, HOLE]}}
    assert regions.feature_contains(feature, lon, lat) is inside


@pytest.mark.parametrize(
    "lon, lat, expected",
    [
        (116.39, 39.91, ["北京"]),  # Tian'anmen
        (91.11, 29.65, ["西藏"]),  # Lhasa
        (121.56, 25.04, ["台湾"]),  # Taipei
        (110.33, 20.03, ["海南"]),  # Haikou
        (87.62, 43.83, ["新疆"]),  # Ürümqi
        (125.0, 30.0, []),  # East China Sea
    ],
)
def test_provinces_at_known_places(geo, lon, lat, expected):
    assert regions.provinces_at(geo, lon, lat) == expected


def test_sites_of_every_layer_are_present(site_frame):
    # Counts as printed in the report: 8 hubs and 10 clusters (东数西算整体规划), 11 named centres,
    # 18 places listed under 全国超30座城市.
    counts = site_frame["layer"].value_counts().to_dict()
    assert counts == {"hub": 8, "cluster": 10, "centre": 11, "city": 18}


@pytest.fixture(scope="module")
def located(db_con) -> pd.DataFrame:
    return regions.sites(db_con).dropna(subset=["lat", "lon"])


def test_every_located_site_lies_in_china_and_in_the_province_it_names(located, geo):
    assert len(located) >= 40
    for row in located.itertuples():
        assert regions.in_china_bbox(row.lon, row.lat), f"{row.site_id} outside China's box"
        named = regions.split_provinces(row.province_zh)
        found = regions.provinces_at(geo, row.lon, row.lat)
        assert set(found) & set(named), f"{row.site_id}: ({row.lat}, {row.lon}) is in {found}, the data says {named}"
    assert regions.site_problems(located, geo) == []


@pytest.mark.parametrize(
    "lat, lon, problem",
    [(29.65, 91.11, "lies in ['西藏'], not in"), (0.0, 0.0, "outside China's bounding box"), (30.0, 125.0, "no province")],
)
def test_site_problems_reports_a_misplaced_site(located, geo, lat, lon, problem):
    moved = located.copy()
    first = moved.index[0]
    moved.loc[first, ["lat", "lon"]] = [lat, lon]
    problems = regions.site_problems(moved, geo)
    assert len(problems) == 1
    assert problems[0].startswith(f"{moved.loc[first, 'site_id']}:") and problem in problems[0]


def test_sites_without_coordinates_are_kept_for_the_table(site_frame):
    unlocated = site_frame[site_frame["lat"].isna()]
    assert set(unlocated["layer"]) == {"centre"}
    assert len(unlocated) == 3  # 曙光5A级, 中国电信京津冀, 中国联通广东: the report prints no city


def test_every_site_has_a_report_source_first_and_only_known_sources(site_frame, db_con):
    known = db_con.execute("SELECT source_id, origin FROM sources").df().set_index("source_id")["origin"]
    for row in site_frame.itertuples():
        assert row.source_ids[0] == row.source_id and known[row.source_id] == "report", row.site_id
        assert set(row.source_ids) <= set(known.index), row.site_id


def test_top5_members_are_the_five_printed_provinces(db_con):
    members = regions.top5_members(db_con)
    assert list(members["province_zh"]) == ["北京", "广东", "浙江", "上海", "江苏"]  # 智算中心现状 slide, print order


# ---------------------------------------------------------------- layers, table, figure


def test_layers_from_uses_defaults_for_missing_values():
    assert regions.layers_from({}) == regions.LAYER_DEFAULTS
    assert regions.layers_from({"reg_cities": True})["city"] is True


@pytest.mark.parametrize("layer", regions.POINT_LAYERS)
def test_visible_sites_follow_the_switches(site_frame, layer):
    only = {name: name == layer for name in regions.LAYER_PARAM}
    shown = regions.visible_sites(site_frame, only)
    assert set(shown["layer"]) == {layer}
    assert len(shown) == (site_frame["layer"] == layer).sum()


@pytest.mark.parametrize("lang", LANGS)
def test_map_table_has_one_row_per_point_and_highlighted_province(db_con, site_frame, lang):
    top5, metrics, sources = (
        regions.top5_members(db_con),
        regions.region_metrics(db_con),
        db_con.execute("SELECT * FROM sources").df(),
    )
    layers = regions.layers_from(ALL_ON)
    table = regions.map_table(site_frame, layers, top5, metrics, sources, lang)
    hub_province_rows = len(regions.hub_provinces(site_frame))
    assert len(table) == len(site_frame) + len(top5) + hub_province_rows
    assert table[t("regions.column.source", lang)].str.len().min() > 0, "every row names its source"
    empty = regions.map_table(site_frame, regions.layers_from(ALL_OFF), top5, metrics, sources, lang)
    assert empty.empty and list(empty.columns) == list(table.columns)


def test_hub_provinces_split_east_and_west(site_frame):
    groups = regions.hub_provinces(site_frame)
    assert set(groups[groups["region_group"] == "west"]["province_zh"]) == {"内蒙古", "贵州", "甘肃", "宁夏"}
    assert {"北京", "上海", "广东", "四川", "重庆"} <= set(groups[groups["region_group"] == "east"]["province_zh"])


def _trace_names(figure) -> list[str]:
    return [trace.name for trace in figure.data if trace.showlegend is not False]


def _expected_legend(layer: str, site_frame: pd.DataFrame, metrics: pd.DataFrame, lang: str) -> list[str]:
    if layer == "eastwest":
        return [t("regions.legend.east", lang), t("regions.legend.west", lang)]
    if layer == "top5":
        return [t("regions.legend.top5", lang, shares=regions.share_text(metrics, lang))]
    located = site_frame[(site_frame["layer"] == layer) & site_frame["lat"].notna()]
    return [t(f"regions.legend.{layer}", lang, count=len(located))]


@pytest.mark.parametrize("layer", regions.POINT_LAYERS + regions.AREA_LAYERS)
def test_each_layer_adds_its_own_traces(db_con, site_frame, layer):
    metrics = regions.region_metrics(db_con)
    without = regions.regions_map_chart(db_con, ALL_OFF, "en").figure
    assert _trace_names(without) == []
    with_layer = regions.regions_map_chart(db_con, {**ALL_OFF, regions.LAYER_PARAM[layer]: True}, "en").figure
    assert _trace_names(with_layer) == _expected_legend(layer, site_frame, metrics, "en")


def test_the_map_makes_no_network_request(db_con):
    figure = regions.regions_map_chart(db_con, ALL_ON, "zh").figure
    assert figure.layout.map.style == "white-bg"  # no sources: no tiles
    for trace in figure.data:
        if trace.type == "scattermap":
            assert trace.mode == "markers", "text on the map would make MapLibre fetch glyphs"
            assert trace.marker.symbol is None, "a symbol other than the circle would fetch an icon"
        assert trace.type in ("choroplethmap", "scattermap"), "scatter_geo/choropleth fetch topojson from a CDN"
        if trace.type == "choroplethmap":
            # The app's own static file, by a relative URL: fetched from the app's server, nothing else.
            assert trace.geojson == regions.GEOJSON_URL and not trace.geojson.startswith(("http", "//", "/"))
    assert "http" not in figure.to_json()


def test_the_served_geometry_is_the_dataset_file():
    assert regions.STATIC_GEOJSON_PATH.read_bytes() == regions.GEOJSON_PATH.read_bytes(), (
        "static/ must hold the same file as datasets/geo/: run scripts/build_china_geojson.py, which writes both"
    )
    assert static_path(regions.GEOJSON_URL) == regions.STATIC_GEOJSON_PATH.resolve()


def test_figures_leaving_the_app_get_the_shapes_inline(db_con):
    figure = regions.regions_map_chart(db_con, ALL_ON, "zh").figure
    before = figure.to_json()
    exported = inline_static_geojson(figure)
    assert figure.to_json() == before, "the shared figure must not change"
    areas = [trace for trace in exported.data if trace.type == "choroplethmap"]
    assert areas and all(isinstance(trace.geojson, dict) for trace in areas)
    for trace in areas:  # each area layer carries exactly the shapes it fills
        assert sorted(f["id"] for f in trace.geojson["features"]) == sorted(trace.locations)
    assert inline_static_geojson(exported) is exported  # nothing left to inline
    assert exported.layout.to_plotly_json() == figure.layout.to_plotly_json()


def test_chart_html_export_is_self_contained(db_con):
    figure = regions.regions_map_chart(db_con, {}, "en").figure
    page = chart_html(figure, slug="regions-map", lang="en").decode("utf-8")
    assert regions.GEOJSON_URL not in page and '"FeatureCollection"' in page


@pytest.mark.parametrize("lang", LANGS)
def test_registered_chart_spec(db_con, lang):
    spec = chart_def("regions-map").build(db_con, {}, lang)
    assert spec.slug == "regions-map" and spec.native is None
    assert spec.source_line
    metrics = regions.region_metrics(db_con).set_index("figure_id")
    server = metrics.loc["top5_server_market_share_2021"].to_dict()
    assert format_figure(server, server, lang) in spec.takeaway
    hubs = regions.sites(db_con).query("layer == 'hub'")
    assert str(len(hubs)) in spec.takeaway and str(int((hubs["region_group"] == "west").sum())) in spec.takeaway
    # One entry naming the layers that are on (the footnote of slide 15 was six "layer: on/off" pairs)
    layers = spec.assumptions[t("regions.layers_heading", lang)]
    assert list(spec.assumptions) == [t("regions.layers_heading", lang)]
    for layer, on in regions.LAYER_DEFAULTS.items():
        assert (t(f"regions.layer.{layer}", lang) in layers) == on, layer
    off = chart_def("regions-map").build(db_con, ALL_OFF, lang).assumptions
    assert off == {t("regions.layers_heading", lang): t("regions.off", lang)}


def test_source_line_is_drawn_into_the_figure(db_con):
    spec = regions.regions_map_chart(db_con, {}, "en")
    drawn = spec.figure.layout.annotations[-1].text.replace("<br>", " ")
    assert "QbitAI Think Tank" in drawn and "Approximate coordinates for map placement" in drawn


def test_figure_json_stays_small(db_con):
    # The shapes are fetched once by URL; what a layer switch sends is the traces' points and hover texts
    # (about 17 kB by default, 25 kB with every layer on, against 190 kB with the shapes inline).
    size = len(regions.regions_map_chart(db_con, ALL_ON, "zh").figure.to_json())
    assert size < MAX_FIGURE_JSON_CHARS, size


# ---------------------------------------------------------------- selection and details


@pytest.mark.parametrize(
    "points, expected",
    [
        ([], None),
        ([{"customdata": ["北京", "province"]}], None),
        ([{"customdata": ["北京", "area"]}, {"customdata": ["hub_gansu", "hub"]}], "hub_gansu"),
        ([{"point_index": 3}], None),
        ([{"customdata": "not-a-list"}], None),
    ],
)
def test_clicked_site(points, expected):
    assert regions.clicked_site(points) == expected


@pytest.mark.parametrize("lang", LANGS)
def test_site_details_name_the_source_and_say_when_there_are_no_coordinates(db_con, site_frame, lang):
    sources = db_con.execute("SELECT * FROM sources").df()
    hub_names = dict(zip(site_frame["site_id"], site_frame[f"name_{lang}"], strict=True))
    sugon = site_frame[site_frame["site_id"] == "sugon_5a"].iloc[0].to_dict()
    details = dict(regions.site_details(sugon, sources, hub_names, lang))
    assert details[t("regions.column.coords", lang)] == t("regions.detail.no_coords", lang)
    assert "量子位智库" in details[t("regions.column.source", lang)] or "QbitAI" in details[t("regions.column.source", lang)]
    cluster = site_frame[site_frame["site_id"] == "cluster_qingyang"].iloc[0].to_dict()
    details = dict(regions.site_details(cluster, sources, hub_names, lang))
    assert details[t("regions.column.parent_hub", lang)] == hub_names["hub_gansu"]


def test_markdown_escape_keeps_text_literal():
    assert regions.markdown_escape("a*b_[c](d) 1. x") == r"a\*b\_\[c\]\(d\) 1\. x"


# ---------------------------------------------------------------- the build script


def test_decode_ring_matches_echarts_algorithm():
    # Two points encoded by hand: start offset (1024, 2048) = (1°, 2°); deltas (+2, -1) → zig-zag 4 and 1.
    encoded = chr(64 + 4) + chr(64 + 1) + chr(64 + 0) + chr(64 + 0)
    ring = geo_build.decode_ring(encoded, [1024, 2048], 1024)
    # Both points decode to (1026/1024, 2047/1024); first == last, so no closing point is added.
    assert ring == [[1026 / 1024, 2047 / 1024], [1026 / 1024, 2047 / 1024]]


def test_douglas_peucker_drops_only_points_within_tolerance():
    line = [[0, 0], [1, 0.001], [2, 0], [3, 5], [4, 0]]
    assert geo_build.douglas_peucker(line, 0.01) == [[0, 0], [2, 0], [3, 5], [4, 0]]


def test_simplify_ring_never_collapses_a_small_ring():
    tiny = [[0, 0], [0.001, 0], [0.001, 0.001], [0, 0.001], [0, 0]]
    assert geo_build.simplify_ring(tiny, 1.0) == tiny


def test_committed_geometry_has_the_script_settings(geo):
    assert f"tolerance {geo_build.TOLERANCE_DEG} degrees" in geo["simplification"]
    text = regions.GEOJSON_PATH.read_text(encoding="utf-8")
    assert json.loads(text) == geo


# ---------------------------------------------------------------- the map fills its frame


def _pictures(db_con, lang):
    from analysis.chart_layout import FILE, api_medium, lay_out, slide_medium
    from analysis.deck_template import DeckTemplate

    template = DeckTemplate()
    figure = regions.regions_map_chart(db_con, {**ALL_ON, "reg_eastwest": False}, lang).figure
    media = (slide_medium(template.image_width_px, template.image_height_px), FILE, api_medium(), api_medium(390, 700))
    return [lay_out(figure, medium) for medium in media]


def _map_area(picture, subplot):
    """The subplot's box in the picture (px: left, top, width, height) and its view."""
    layout = picture.figure.layout
    margin = layout.margin
    area_w = picture.width_px - margin.l - margin.r
    area_h = picture.height_px - margin.t - margin.b
    domain = layout[subplot].domain
    width, height = area_w * (domain.x[1] - domain.x[0]), area_h * (domain.y[1] - domain.y[0])
    return (margin.l + area_w * domain.x[0], margin.t + area_h * (1 - domain.y[1]), width, height), layout[subplot]


def _to_px(lon, lat, box, view):
    """Where MapLibre draws (lon, lat) in the picture, for the view's centre and zoom (web Mercator)."""
    cx, cy = regions.mercator_px(view.center.lon, view.center.lat, view.zoom)
    x, y = regions.mercator_px(lon, lat, view.zoom)
    return box[0] + box[2] / 2 + x - cx, box[1] + box[3] / 2 + y - cy


@pytest.mark.parametrize("lang", LANGS)
def test_the_map_frames_china_whole_and_large_in_every_picture(db_con, site_frame, lang):
    west, east, south, north = regions.CHINA_BOUNDS
    for picture in _pictures(db_con, lang):
        box, view = _map_area(picture, "map")
        left, top = _to_px(west, north, box, view)
        right, bottom = _to_px(east, south, box, view)
        assert box[0] - 1 <= left and right <= box[0] + box[2] + 1, picture.medium
        assert box[1] - 1 <= top and bottom <= box[1] + box[3] + 1, picture.medium
        for site in site_frame.dropna(subset=["lat", "lon"]).itertuples():
            x, y = _to_px(site.lon, site.lat, box, view)
            assert box[0] <= x <= box[0] + box[2] and box[1] <= y <= box[1] + box[3], (site.site_id, picture.medium)
        assert bottom - top >= 0.9 * box[3] or right - left >= 0.9 * box[2], picture.medium  # China fills its frame
        if picture.width_px >= regions.LANDSCAPE_RATIO * picture.height_px:
            # ... and its frame the picture: before, the legend's rows under the map left it 250 px of a 370 px
            # slide picture (China 230 px high; 310 px wide in a 1000 px picture).
            share = 0.85 if not picture.medium.title else 0.6
            assert bottom - top >= share * picture.height_px, (picture.medium, bottom - top, picture.height_px)


@pytest.mark.parametrize("lang", LANGS)
def test_the_insets_pull_apart_the_sites_the_whole_map_stacks(db_con, site_frame, lang):
    slide, file = _pictures(db_con, lang)[:2]
    located = site_frame.dropna(subset=["lat", "lon"])
    for picture in (slide, file):
        for subplot, (_key, (west, east, south, north)) in regions.INSETS.items():
            box, view = _map_area(picture, subplot)
            inside = located[located["lon"].between(west, east) & located["lat"].between(south, north)]
            points = {
                row.site_id: (_to_px(row.lon, row.lat, box, view), regions.MARKER[row.layer][1] * regions.INSET_MARKER_SCALE)
                for row in inside.itertuples()
            }
            main_box, main_view = _map_area(picture, "map")
            for a, b in itertools.combinations(points, 2):
                (pa, size_a), (pb, size_b) = points[a], points[b]
                apart = math.dist(pa, pb)
                if apart == 0:
                    continue  # the same coordinates (a city's hub and its centres): stacked rings by design
                assert apart >= (size_a + size_b) / 2, (picture.medium, subplot, a, b, apart)
            for row in inside.itertuples():  # every site of the inset is drawn inside the inset
                x, y = points[row.site_id][0]
                assert box[0] <= x <= box[0] + box[2] and box[1] <= y <= box[1] + box[3], (row.site_id, subplot)
            # ... where on the whole map some of them overlap (what the insets are for)
            whole = [_to_px(row.lon, row.lat, main_box, main_view) for row in inside.itertuples()]
            assert min(math.dist(p, q) for p, q in itertools.combinations(whole, 2) if p != q) < regions.MARKER["hub"][1]


def test_inset_traces_carry_only_their_own_sites_and_no_legend(db_con):
    figure = regions.regions_map_chart(db_con, ALL_ON, "en").figure
    for subplot, (_key, (west, east, south, north)) in regions.INSETS.items():
        traces = [trace for trace in figure.data if trace.subplot == subplot]
        assert traces and all(trace.showlegend is False for trace in traces)
        for trace in [tr for tr in traces if tr.type == "scattermap"]:
            assert all(west <= x <= east and south <= y <= north for x, y in zip(trace.lon, trace.lat, strict=True))
            assert trace.mode == "markers"
        titles = [a.text for a in figure.layout.annotations if a.name == f"{regions.INSET_TITLE_NAME}:{subplot}"]
        assert titles == [t(_key, "en")]


def test_the_chosen_site_is_picked_out_on_the_map_and_in_its_inset(db_con):
    figure = regions.regions_map_chart(db_con, ALL_ON, "en").figure
    before = figure.to_json()
    picked = regions.highlight_site(figure, "hub_jingjinji")
    assert figure.to_json() == before, "the shared figure must not change"
    halos = [trace for trace in picked.data if trace.name == regions.HALO_NAME]
    assert sorted(trace.subplot or "map" for trace in halos) == ["map", "map2"]  # the main map and the JJJ inset
    assert all((trace.lon[0], trace.lat[0]) == (116.41, 39.9) and trace.showlegend is False for trace in halos)
    for trace in [tr for tr in picked.data if tr.type == "scattermap" and tr.name != regions.HALO_NAME]:
        chosen = [i for i, custom in enumerate(trace.customdata) if custom[0] == "hub_jingjinji"]
        assert list(trace.selectedpoints) == chosen  # the rest dimmed (unselected), the chosen one as it was
        assert trace.unselected.marker.opacity == regions.UNSELECTED_OPACITY
    assert regions.highlight_site(figure, None) is figure
    assert regions.highlight_site(figure, "no_such_site") is figure


@pytest.mark.parametrize("lang", LANGS)
def test_on_a_phone_china_fills_the_screen_maps_frame_both_ways(db_con, lang):
    """At a phone's width the screen's main map is as tall as China is wide-fitted: no empty band above or
    below it (before, China took 239 px of a 428 px high map area on a 390 px phone)."""
    from analysis.chart_layout import SCREEN, lay_out

    picture = lay_out(regions.regions_map_chart(db_con, ALL_ON, lang).figure, SCREEN)
    west, east, south, north = regions.CHINA_BOUNDS
    box, view = _map_area(picture, "map")
    left, top = _to_px(west, north, box, view)
    right, bottom = _to_px(east, south, box, view)
    assert box[0] - 1 <= left and right <= box[0] + box[2] + 1 and box[1] - 1 <= top and bottom <= box[1] + box[3] + 1
    assert right - left >= 0.9 * box[2], (right - left, box)
    assert bottom - top >= 0.9 * box[3], (bottom - top, box)  # no empty band above or below China
    for subplot in regions.INSETS:  # the insets keep a legible size under it
        inset, _view = _map_area(picture, subplot)
        assert inset[2] >= 150 and inset[3] >= 150, (subplot, inset)
