"""China's compute geography: 东数西算 hubs and clusters, intelligent computing centres, the cities list,
the top-five provinces' market shares and the east/west reading of "东数西训", on an offline map.

The map is drawn by MapLibre (plotly's `choroplethmap`/`scattermap`) from a local GeoJSON
(datasets/geo/, Apache-2.0, see its README) on plotly's "white-bg" style, which has no sources, so the
browser requests nothing from the network: no tiles, no fonts, no icons. Markers are circles only (other
symbols would fetch icons) and there are no text labels on the map (they would fetch glyphs).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go

from analysis import data, paths
from analysis.charts import LEGEND_COL_PX, LEGEND_SYMBOL_PX, PALETTE, apply_house_style, plain_text, wrap_text
from analysis.chartspec import ChartDef, ChartSpec
from analysis.db import query
from analysis.figure_copy import copy_figure
from analysis.format import format_figure, is_blank
from analysis.i18n import normalize_lang, t
from analysis.notes import note_text
from analysis.scenario import Param
from analysis.static_assets import STATIC_DIR, static_url

GEOJSON_PATH = paths.PROJECT_ROOT / "datasets" / "geo" / "china_provinces.geojson"
# The same file in the app's static folder: the browser fetches it once by URL instead of receiving ~150 kB of
# shapes inside the figure on every rerun. A test keeps the two copies identical.
STATIC_GEOJSON_PATH = STATIC_DIR / GEOJSON_PATH.name
GEOJSON_URL = static_url(GEOJSON_PATH.name)
INSET_ID = "南海诸岛"  # the South China Sea Islands inset: drawn, never joined to data
# Longitude/latitude box of China's territory (73.4–135.1°E, 3.8–53.6°N, the South China Sea included), padded.
CHINA_BBOX = {"lon_min": 73.0, "lon_max": 135.5, "lat_min": 3.5, "lat_max": 54.0}

POINT_LAYERS = ("hub", "cluster", "centre", "city")
AREA_LAYERS = ("top5", "eastwest")
LAYER_PARAM = {
    "hub": "reg_hubs",
    "cluster": "reg_clusters",
    "centre": "reg_centres",
    "city": "reg_cities",
    "top5": "reg_top5",
    "eastwest": "reg_eastwest",
}
LAYER_DEFAULTS = {"hub": True, "cluster": True, "centre": True, "city": False, "top5": True, "eastwest": False}

PARAMS = tuple(
    Param(
        LAYER_PARAM[layer],
        LAYER_DEFAULTS[layer],
        kind="bool",
        label_key=f"regions.layer.{layer}",
        help_key=f"regions.layer.{layer}_help",
        page_id="regions",
    )
    for layer in POINT_LAYERS + AREA_LAYERS
)

TOP5_ENTITY = "cn_top5_provinces"
TOP5_FIGURE_IDS = ("top5_server_market_share_2021", "top5_ai_server_market_share_2021")
CITIES_FIGURE_ID = "cities_with_icc"
REGION_METRIC_IDS = TOP5_FIGURE_IDS + (CITIES_FIGURE_ID,)


def _tint(hex_colour: str, share_of_white: float) -> str:
    """A lighter shade of a palette colour (so fills stay within the one palette)."""
    rgb = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(c + (255 - c) * share_of_white) for c in rgb]
    return "#" + "".join(f"{c:02x}" for c in mixed)


MARKER = {  # layer -> (colour, size in px); drawn largest first so stacked sites stay visible as rings
    "hub": (PALETTE["primary"], 18),
    "cluster": (PALETTE["tertiary"], 12),
    "centre": (PALETTE["secondary"], 9),
    "city": (PALETTE["ink"], 6),
}
FILL = {
    "base": _tint(PALETTE["muted"], 0.85),
    "inset": PALETTE["muted"],
    "east": _tint(PALETTE["primary"], 0.62),
    "west": _tint(PALETTE["secondary"], 0.55),
    "top5": _tint(PALETTE["quaternary"], 0.35),
}
# plotly's "white-bg" style: a white background layer and no sources, so no tiles. It names a glyph URL, which
# MapLibre fetches only to draw text on the map; this map draws none (hover labels are plotly's own SVG).
# A custom style without that URL fails in plotly's PNG export ("Map error": a scattermap always declares a
# text layer, which MapLibre refuses without glyphs), so the built-in style is the offline one.
MAP_STYLE = "white-bg"
CHINA_BOUNDS = (73.0, 135.5, 17.5, 54.0)  # west, east, south, north (°): every province and the 南海诸岛 inset
MAP_TILE_PX = 512  # MapLibre's world width at zoom 0
MAP_PAD_PX = 10
MAP_TEMPLATE_KEYS = ("font", "paper_bgcolor", "hoverlabel", "hovermode", "title", "colorway")


def fit_map_view(width_px: float, height_px: float, bounds: tuple[float, float, float, float] = CHINA_BOUNDS) -> dict:
    """Centre and zoom that show `bounds` whole in a map of width_px × height_px (web Mercator).

    plotly's own `fitbounds` ignores the choropleth's shapes (it draws an empty map here), so we compute it.
    """
    west, east, south, north = bounds

    def mercator_y(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    world_w = (east - west) / 360  # share of the world's width at zoom 0
    world_h = (mercator_y(north) - mercator_y(south)) / (2 * math.pi)
    zoom = min(
        math.log2((width_px - 2 * MAP_PAD_PX) / (world_w * MAP_TILE_PX)),
        math.log2((height_px - 2 * MAP_PAD_PX) / (world_h * MAP_TILE_PX)),
    )
    centre_y = (mercator_y(north) + mercator_y(south)) / 2
    centre_lat = math.degrees(2 * math.atan(math.exp(centre_y)) - math.pi / 2)
    return {"center": {"lon": (west + east) / 2, "lat": round(centre_lat, 3)}, "zoom": round(zoom, 3)}


# Two insets at a larger scale, where the hubs' own clusters, centres and cities sit a few pixels apart on the
# whole-China map and would print over each other: subplot -> (locale key, west, east, south, north in °).
INSETS = {
    "map2": ("regions.inset.jjj", (113.9, 118.0, 37.6, 41.6)),
    "map3": ("regions.inset.yrd", (116.7, 122.0, 29.6, 33.9)),
}
INSET_BAND_PX = 180  # on screen: the insets side by side under the map
INSET_GAP = 0.02  # of the map area, between the map and an inset, and between the insets
LANDSCAPE_RATIO = 1.6  # a picture this much wider than tall: insets and legend beside the map, not under it
SIDE_MAP_SHARE = 0.5  # of a landscape picture's width, the most the main map takes (China is about 4:3)
SIDE_INSET_SHARE = 0.24  # the insets' column; the legend takes the rest
INSET_TITLE_NAME = "map-inset-title"
INSET_MARKER_SCALE = 0.6  # an inset's markers against the main map's


def mercator_px(lon: float, lat: float, zoom: float) -> tuple[float, float]:
    """A point's position in MapLibre's world pixels at `zoom` (x east, y south), for checking a layout."""
    world = MAP_TILE_PX * 2**zoom
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    return (lon + 180) / 360 * world, (1 - y / math.pi) / 2 * world


def fitted_height_px(width_px: float, bounds: tuple[float, float, float, float] = CHINA_BOUNDS) -> float:
    """Height of a map width_px wide in which `bounds` fill the width: no empty band above or below them."""
    west, east, south, north = bounds
    zoom = math.log2((width_px - 2 * MAP_PAD_PX) / ((east - west) / 360 * MAP_TILE_PX))
    return mercator_px(west, south, zoom)[1] - mercator_px(west, north, zoom)[1] + 2 * MAP_PAD_PX


# The app cannot know the screen's width, so the map is framed for the narrowest we support (a phone):
# China fills a phone's column (the main map is as tall as China is at that width, about 4:3, so no empty
# band above or below it); on a wider screen China sits whole in the middle, and the user zooms in.
APP_MAP_WIDTH_PX = 340
# The map area on screen: the main map (what fitted_height_px gives) over the gap and the insets' band.
MAP_HEIGHT_PX = math.ceil((fitted_height_px(APP_MAP_WIDTH_PX) + INSET_GAP * INSET_BAND_PX) / (1 - INSET_GAP))
MAP_VIEW = fit_map_view(APP_MAP_WIDTH_PX, MAP_HEIGHT_PX)


def map_domains(width_px: float, height_px: float) -> dict[str, dict]:
    """Where the main map and each inset sit in a map area of width_px × height_px (fractions of it):
    beside the map on a landscape picture, in a band under it otherwise."""
    if width_px >= LANDSCAPE_RATIO * height_px:
        main_w = min(SIDE_MAP_SHARE, fit_width_share(width_px, height_px))
        inset_x = [main_w + INSET_GAP, main_w + INSET_GAP + SIDE_INSET_SHARE]
        half = (1 - INSET_GAP) / 2
        return {
            "map": {"x": [0, main_w], "y": [0, 1]},
            "map2": {"x": inset_x, "y": [1 - half, 1]},
            "map3": {"x": inset_x, "y": [0, half]},
        }
    band = min(0.4, INSET_BAND_PX / height_px)
    half = (1 - INSET_GAP) / 2
    return {
        "map": {"x": [0, 1], "y": [band + INSET_GAP, 1]},
        "map2": {"x": [0, half], "y": [0, band]},
        "map3": {"x": [1 - half, 1], "y": [0, band]},
    }


def fit_width_share(width_px: float, height_px: float) -> float:
    """Share of width_px that China takes when framed whole at height_px (a little room kept)."""
    view = fit_map_view(width_px, height_px)
    west, east = CHINA_BOUNDS[:2]
    china_px = mercator_px(east, 0, view["zoom"])[0] - mercator_px(west, 0, view["zoom"])[0]
    return min(1.0, (china_px + 2 * MAP_PAD_PX) / width_px)


def frame_map(fig: go.Figure, width_px: float, height_px: float, *, legend_beside: bool = False) -> go.Figure:
    """The map and its insets placed and zoomed for a map area of width_px × height_px (in place; returns fig):
    China whole in the main map, each inset on its region. `legend_beside`: a landscape picture's legend goes
    in the column right of the insets (its rows under the map would take the map's height)."""
    domains = map_domains(width_px, height_px)
    for name, domain in domains.items():
        w = width_px * (domain["x"][1] - domain["x"][0])
        h = height_px * (domain["y"][1] - domain["y"][0])
        bounds = CHINA_BOUNDS if name == "map" else INSETS[name][1]
        fig.update_layout({name: {"domain": domain, **fit_map_view(w, h, bounds)}})
    for note in fig.layout.annotations:
        if (note.name or "").startswith(INSET_TITLE_NAME):
            domain = domains[note.name.rsplit(":", 1)[1]]
            note.update(x=domain["x"][0], y=domain["y"][1])
    if legend_beside:
        left = domains["map2"]["x"][1] + INSET_GAP
        fig.update_layout(
            showlegend=True,
            legend={"orientation": "v", "x": left, "xanchor": "left", "y": 1, "yanchor": "top", "entrywidth": None},
        )
        cols = max(12, int((width_px * (1 - left) - LEGEND_SYMBOL_PX) / LEGEND_COL_PX))
        for trace in fig.data:
            if trace.showlegend is not False and trace.name:
                trace.name = wrap_text(plain_text(trace.name), cols)
    return fig


# ---------------------------------------------------------------- geometry


@cache
def _load_geojson(path: str, modified_ns: int) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def load_provinces(path: Path = GEOJSON_PATH) -> dict:
    """The province FeatureCollection (cached per file version). Treat it as read-only."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"province boundaries not found at {path}; see datasets/geo/README.md")
    collection = _load_geojson(str(path), path.stat().st_mtime_ns)
    if collection.get("type") != "FeatureCollection" or not collection.get("features"):
        raise ValueError(f"{path} is not a GeoJSON FeatureCollection with features")
    return collection


def province_table(geo: dict) -> pd.DataFrame:
    """One row per provincial-level division (the inset excluded): name_zh, name_en, adcode, kind."""
    rows = [f["properties"] for f in geo["features"] if f["id"] != INSET_ID]
    return pd.DataFrame(rows, columns=["name_zh", "name_en", "adcode", "kind"])


def ring_contains(ring: list, lon: float, lat: float) -> bool:
    """Even-odd ray casting: is (lon, lat) inside the closed ring [[lon, lat], ...]?"""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def feature_contains(feature: dict, lon: float, lat: float) -> bool:
    """Inside any polygon's exterior ring and none of its holes (Polygon or MultiPolygon)."""
    geometry = feature["geometry"]
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return any(ring_contains(p[0], lon, lat) and not any(ring_contains(h, lon, lat) for h in p[1:]) for p in polygons)


def provinces_at(geo: dict, lon: float, lat: float) -> list[str]:
    """The provinces (Chinese short names) whose shape contains the point; normally one, or none offshore."""
    return [f["id"] for f in geo["features"] if f["id"] != INSET_ID and feature_contains(f, lon, lat)]


def in_china_bbox(lon: float, lat: float) -> bool:
    return CHINA_BBOX["lon_min"] <= lon <= CHINA_BBOX["lon_max"] and CHINA_BBOX["lat_min"] <= lat <= CHINA_BBOX["lat_max"]


def split_provinces(cell: object) -> list[str]:
    """A province cell as stored ("上海;江苏;浙江") as a list; empty for a blank cell."""
    return [] if is_blank(cell) else [p.strip() for p in str(cell).split(";") if p.strip()]


def site_problems(sites: pd.DataFrame, geo: dict) -> list[str]:
    """Every site whose coordinates lie outside China's box or outside all of the provinces it names."""
    problems = []
    for row in sites.itertuples():
        if pd.isna(row.lat) or pd.isna(row.lon):
            continue
        named = split_provinces(row.province_zh)
        if not in_china_bbox(row.lon, row.lat):
            problems.append(f"{row.site_id}: ({row.lat}, {row.lon}) is outside China's bounding box")
        elif not named:
            problems.append(f"{row.site_id}: has coordinates but names no province")
        else:
            found = provinces_at(geo, row.lon, row.lat)
            if not set(found) & set(named):
                problems.append(f"{row.site_id}: ({row.lat}, {row.lon}) lies in {found or 'no province'}, not in {named}")
    return problems


# ---------------------------------------------------------------- queries


_SITES_SQL = """
SELECT node_id AS site_id, node_type AS layer, rowid AS site_order, name_zh, name_en,
       NULL AS operator_zh, NULL AS operator_en, NULL AS city_zh, NULL AS city_en,
       province_zh, province_en, region_group, parent_hub_id, lat, lon, source_id,
       [parent_source_id, region_group_source_id, coord_source_id] AS extra_source_ids, note
FROM dsxs_nodes
UNION ALL
SELECT centre_id, 'centre', rowid, name_zh, name_en, operator_zh, operator_en, city_zh, city_en,
       province_zh, province_en, NULL, NULL, lat, lon, source_id,
       [operator_source_id, location_source_id, coord_source_id], note
FROM computing_centres
UNION ALL
SELECT city_id, 'city', list_order, name_zh, name_en, NULL, NULL, name_zh, name_en,
       province_zh, province_en, NULL, NULL, lat, lon, source_id, [coord_source_id], note
FROM icc_cities
"""


def sites(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every point the map can show, one row each: hubs, clusters, computing centres, listed cities.

    `source_ids` lists the row's report source first, then the supplementary sources of its attribution,
    grouping and coordinates (blank ones dropped).
    """
    frame = query(con, _SITES_SQL)
    frame["layer_rank"] = frame["layer"].map({layer: i for i, layer in enumerate(POINT_LAYERS)})
    frame = frame.sort_values(["layer_rank", "site_order"]).drop(columns=["layer_rank", "site_order"]).reset_index(drop=True)
    frame["source_ids"] = [
        list(dict.fromkeys([main] + [s for s in extra if not is_blank(s)]))
        for main, extra in zip(frame["source_id"], frame["extra_source_ids"], strict=True)
    ]
    return frame.drop(columns=["extra_source_ids"])


def top5_members(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query(
        con,
        "SELECT province_zh, province_en, member_order, source_id FROM region_members WHERE entity_id = ? ORDER BY member_order",
        [TOP5_ENTITY],
    )


def region_metrics(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The only regional numbers the report prints: the top five's shares (2021) and the 30+ cities."""
    return data.figures(con, figure_ids=list(REGION_METRIC_IDS))


def hub_provinces(site_frame: pd.DataFrame) -> pd.DataFrame:
    """Provinces of the eight hubs with the hub's east/west group (NDRC 2022 grouping), one row per province."""
    rows = []
    for hub in site_frame[site_frame["layer"] == "hub"].itertuples():
        for zh, en in zip(split_provinces(hub.province_zh), split_provinces(hub.province_en), strict=True):
            rows.append(
                {
                    "province_zh": zh,
                    "province_en": en,
                    "region_group": hub.region_group,
                    "hub_zh": hub.name_zh,
                    "hub_en": hub.name_en,
                }
            )
    return pd.DataFrame(rows, columns=["province_zh", "province_en", "region_group", "hub_zh", "hub_en"])


def layers_from(scenario: Mapping[str, object]) -> dict[str, bool]:
    """Which layers are on, from scenario values (defaults for any missing)."""
    return {layer: bool(scenario.get(param, LAYER_DEFAULTS[layer])) for layer, param in LAYER_PARAM.items()}


def visible_sites(site_frame: pd.DataFrame, layers: Mapping[str, bool]) -> pd.DataFrame:
    shown = [layer for layer in POINT_LAYERS if layers.get(layer)]
    return site_frame[site_frame["layer"].isin(shown)].reset_index(drop=True)


# ---------------------------------------------------------------- text


def _pick(row, base: str, lang: str) -> str:
    value = row[f"{base}_{normalize_lang(lang)}"]
    return "" if is_blank(value) else str(value)


def _places(cell: object, lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(split_provinces(cell))


def share_text(metrics: pd.DataFrame, lang: str) -> str:
    """ "75% of servers, 90% of AI servers (2021)", from the figures table."""
    by_id = {row["figure_id"]: row for row in metrics.to_dict("records")}
    server, ai_server = (by_id.get(fid) for fid in TOP5_FIGURE_IDS)
    if server is None or ai_server is None:
        return ""
    return t(
        "regions.top5_shares",
        lang,
        server=format_figure(server, server, lang),
        ai_server=format_figure(ai_server, ai_server, lang),
        year=server["period"],
    )


def site_sources(source_ids: list[str], source_frame: pd.DataFrame, lang: str) -> str:
    chosen = source_frame[source_frame["source_id"].isin(source_ids)]
    order = {sid: i for i, sid in enumerate(source_ids)}
    return data.format_source_line(chosen.sort_values("source_id", key=lambda s: s.map(order)), lang)


def site_details(site: Mapping, source_frame: pd.DataFrame, hub_names: Mapping[str, str], lang: str) -> list[tuple[str, str]]:
    """(label, value) pairs describing one site, for the page's detail panel; blank fields are left out."""
    lat, lon = site["lat"], site["lon"]
    location = (
        t("regions.detail.coords_value", lang, lat=f"{lat:.2f}", lon=f"{lon:.2f}")
        if not (pd.isna(lat) or pd.isna(lon))
        else t("regions.detail.no_coords", lang)
    )
    group = site.get("region_group")
    pairs = [
        (t("regions.column.layer", lang), t(f"regions.kind.{site['layer']}", lang)),
        (t("regions.column.name", lang), f"{site['name_zh']} · {site['name_en']}"),
        (t("regions.column.operator", lang), _pick(site, "operator", lang)),
        (t("regions.column.city", lang), _pick(site, "city", lang)),
        (t("regions.column.province", lang), _places(site[f"province_{lang}"], lang)),
        (t("regions.column.parent_hub", lang), hub_names.get(site.get("parent_hub_id") or "", "")),
        (t("regions.column.group", lang), "" if is_blank(group) else t(f"regions.group.{group}", lang)),
        (t("regions.column.coords", lang), location),
        (t("regions.column.note", lang), note_text(site.get("note"), lang)),
        (t("regions.column.source", lang), site_sources(list(site["source_ids"]), source_frame, lang)),
    ]
    return [(label, value) for label, value in pairs if value]


def site_label(site: Mapping, lang: str) -> str:
    kind = t(f"regions.kind.{site['layer']}", lang)
    return f"{kind} · {_pick(site, 'name', lang)}"


# ---------------------------------------------------------------- tables


def map_table(
    site_frame: pd.DataFrame,
    layers: Mapping[str, bool],
    top5: pd.DataFrame,
    metrics: pd.DataFrame,
    source_frame: pd.DataFrame,
    lang: str,
) -> pd.DataFrame:
    """What the map shows, one row per point or highlighted province, with translated headers (CSV and table)."""
    lang = normalize_lang(lang)
    hub_names = {r.site_id: _pick(r._asdict(), "name", lang) for r in site_frame[site_frame["layer"] == "hub"].itertuples()}
    rows = []
    for site in visible_sites(site_frame, layers).to_dict("records"):
        rows.append(
            {
                "layer": t(f"regions.kind.{site['layer']}", lang),
                "name": _pick(site, "name", lang),
                "operator": _pick(site, "operator", lang),
                "city": _pick(site, "city", lang),
                "province": _places(site[f"province_{lang}"], lang),
                "parent_hub": hub_names.get(site["parent_hub_id"] or "", "") if not is_blank(site["parent_hub_id"]) else "",
                "group": "" if is_blank(site["region_group"]) else t(f"regions.group.{site['region_group']}", lang),
                "lat": site["lat"],
                "lon": site["lon"],
                "share": "",
                "note": note_text(site["note"], lang),
                "source": site_sources(site["source_ids"], source_frame, lang),
            }
        )
    if layers.get("top5"):
        shares = share_text(metrics, lang)
        for member in top5.to_dict("records"):
            rows.append(
                _area_row(
                    t("regions.kind.top5", lang), member[f"province_{lang}"], shares, [member["source_id"]], source_frame, lang
                )
            )
    if layers.get("eastwest"):
        for province in hub_provinces(site_frame).to_dict("records"):
            row = _area_row(
                t("regions.kind.eastwest", lang), province[f"province_{lang}"], "", ["supp_ndrc_dsxs_2022"], source_frame, lang
            )
            row["group"] = t(f"regions.group.{province['region_group']}", lang)
            row["parent_hub"] = province[f"hub_{lang}"]
            rows.append(row)
    columns = ["layer", "name", "operator", "city", "province", "parent_hub", "group", "lat", "lon", "share", "note", "source"]
    table = pd.DataFrame(rows, columns=columns)
    return table.rename(columns={c: t(f"regions.column.{c}", lang) for c in columns})


def _area_row(layer: str, province: str, share: str, source_ids: list[str], source_frame: pd.DataFrame, lang: str) -> dict:
    return {
        "layer": layer,
        "name": province,
        "operator": "",
        "city": "",
        "province": province,
        "parent_hub": "",
        "group": "",
        "lat": None,
        "lon": None,
        "share": share,
        "note": "",
        "source": site_sources(source_ids, source_frame, lang),
    }


# ---------------------------------------------------------------- figure


def _province_names(geo: dict, lang: str) -> dict[str, str]:
    key = "name_zh" if lang == "zh" else "name_en"
    return {f["id"]: f["properties"][key] for f in geo["features"]}


def feature_subset(geo: dict, ids: list[str]) -> dict:
    wanted = set(ids)
    return {"type": "FeatureCollection", "features": [f for f in geo["features"] if f["id"] in wanted]}


def _area_trace(
    geo: dict,
    ids: list[str],
    colour: str,
    *,
    name: str,
    hover: list[str],
    line_colour: str,
    line_width: float,
    geojson_url: str | None,
) -> go.Choroplethmap:
    return go.Choroplethmap(
        # By URL, the browser fetches the shapes once per page load; inline, only the ones this trace fills.
        geojson=geojson_url if geojson_url else feature_subset(geo, ids),
        locations=ids,
        z=[1] * len(ids),
        featureidkey="id",
        colorscale=[[0, colour], [1, colour]],
        showscale=False,
        marker={"line": {"color": line_colour, "width": line_width}},
        name=name,
        showlegend=True,
        customdata=[[i, "area"] for i in ids],
        hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>",
    )


def regions_figure(
    geo: dict,
    site_frame: pd.DataFrame,
    layers: Mapping[str, bool],
    top5: pd.DataFrame,
    metrics: pd.DataFrame,
    *,
    title: str,
    source_line: str,
    lang: str,
    geojson_url: str | None = GEOJSON_URL,
) -> go.Figure:
    """The map: grey provinces and the 南海诸岛 inset, then the area layers, then the point layers that are on.

    `geojson_url`: where the browser fetches the province shapes (the app's static file); None puts them inline
    (what a file or image made away from the app needs: `analysis.static_assets.inline_static_geojson`).
    """
    lang = normalize_lang(lang)
    area = {"geojson_url": geojson_url}
    names = _province_names(geo, lang)
    all_ids = [f["id"] for f in geo["features"]]
    province_ids = [i for i in all_ids if i != INSET_ID]
    fig = go.Figure()
    fig.add_trace(
        _area_trace(
            geo,
            province_ids,
            FILL["base"],
            name=t("regions.legend.provinces", lang),
            hover=[names[i] for i in province_ids],
            line_colour="#ffffff",
            line_width=0.8,
            **area,
        ).update(showlegend=False, customdata=[[i, "province"] for i in province_ids])
    )
    # The inset keeps a thin outline of its own colour: a white one would erase its hair-thin dashes.
    fig.add_trace(
        _area_trace(
            geo,
            [INSET_ID],
            FILL["inset"],
            name=t("regions.inset_hover", lang),
            hover=[t("regions.inset_hover", lang)],
            line_colour=FILL["inset"],
            line_width=0.5,
            **area,
        ).update(showlegend=False)
    )
    if layers.get("eastwest"):
        groups = hub_provinces(site_frame)
        for group in ("east", "west"):
            part = groups[groups["region_group"] == group]
            hover = [
                t("regions.eastwest_hover", lang, province=names[p], hub=h, group=t(f"regions.group.{group}", lang))
                for p, h in zip(part["province_zh"], part[f"hub_{lang}"], strict=True)
            ]
            fig.add_trace(
                _area_trace(
                    geo,
                    list(part["province_zh"]),
                    FILL[group],
                    name=t(f"regions.legend.{group}", lang),
                    hover=hover,
                    line_colour="#ffffff",
                    line_width=0.8,
                    **area,
                )
            )
    if layers.get("top5"):
        ids = list(top5["province_zh"])
        shares = share_text(metrics, lang)
        hover = [t("regions.top5_hover", lang, province=names[p], shares=shares) for p in ids]
        fig.add_trace(
            _area_trace(
                geo,
                ids,
                FILL["top5"],
                name=t("regions.legend.top5", lang, shares=shares),
                hover=hover,
                line_colour=PALETTE["quaternary"],
                line_width=2,
                **area,
            )
        )
    shown = visible_sites(site_frame, layers).dropna(subset=["lat", "lon"])
    for layer in POINT_LAYERS:
        part = shown[shown["layer"] == layer]
        if part.empty:
            continue
        colour, size = MARKER[layer]
        fig.add_trace(
            go.Scattermap(
                lat=part["lat"],
                lon=part["lon"],
                mode="markers",
                marker={"size": size, "color": colour, "opacity": 0.9},
                name=t(f"regions.legend.{layer}", lang, count=len(part)),
                customdata=[[sid, layer] for sid in part["site_id"]],
                hovertext=[_point_hover(row, lang) for row in part.to_dict("records")],
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    _add_insets(fig, geo, lang)
    fig.update_layout(
        map={"style": MAP_STYLE, **MAP_VIEW},
        uirevision="regions-map",  # keep the user's pan and zoom when a layer is switched
        clickmode="event+select",
    )
    apply_house_style(fig, title=title, source_line=source_line, lang=lang)
    # The default template (about 7 kB of axis, colour-bar and per-trace defaults a map never uses) would travel
    # with every layer switch; the map keeps the part it draws with.
    base = fig.layout.template.layout
    fig.update_layout(template=go.layout.Template(layout={k: base[k] for k in MAP_TEMPLATE_KEYS if base[k] is not None}))
    # Legend and source line go under the map (inside it they would cover Hainan or the inset);
    # analysis.charts.fit_layout gives them their rows for the screen's or the slide's width.
    top_px, bottom_px = 56, 110
    fig.update_layout(
        height=MAP_HEIGHT_PX + INSET_BAND_PX + top_px + bottom_px, margin={"l": 10, "r": 10, "t": top_px, "b": bottom_px}
    )
    return frame_map(fig, APP_MAP_WIDTH_PX, MAP_HEIGHT_PX + INSET_BAND_PX)


def _bounding_box(feature: dict) -> tuple[float, float, float, float]:
    geometry = feature["geometry"]
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    lons = [x for polygon in polygons for x, _ in polygon[0]]
    lats = [y for polygon in polygons for _, y in polygon[0]]
    return min(lons), max(lons), min(lats), max(lats)


def _overlaps(box: tuple | None, bounds: tuple[float, float, float, float]) -> bool:
    return box is not None and box[0] <= bounds[1] and box[1] >= bounds[0] and box[2] <= bounds[3] and box[3] >= bounds[2]


def _add_insets(fig: go.Figure, geo: dict, lang: str) -> None:
    """Each inset draws the main map's layers again (not the South China Sea inset), only where it looks, without
    legend entries, and has its name written above it (plotly's SVG text: MapLibre fetches no glyphs for it)."""
    boxes = {f["id"]: _bounding_box(f) for f in geo["features"]}
    main = [trace for trace in fig.data if trace.name != t("regions.inset_hover", lang)]
    for subplot, (key, (west, east, south, north)) in INSETS.items():
        for trace in main:
            copy = go.Figure(data=[trace]).data[0].update(subplot=subplot, showlegend=False)
            if copy.type == "scattermap":  # only its own sites (what a layer switch sends stays small), smaller
                keep = [west <= x <= east and south <= y <= north for x, y in zip(copy.lon, copy.lat, strict=True)]
                if not any(keep):
                    continue
                for name in ("lat", "lon", "customdata", "hovertext"):
                    copy[name] = [v for v, k in zip(copy[name], keep, strict=True) if k]
                copy.marker.size = round(copy.marker.size * INSET_MARKER_SCALE)
            else:  # only the provinces it shows
                keep = [_overlaps(boxes.get(i), (west, east, south, north)) for i in copy.locations]
                if not any(keep):
                    continue
                for name in ("locations", "z", "customdata", "hovertext"):
                    copy[name] = [v for v, k in zip(copy[name], keep, strict=True) if k]
                if isinstance(copy.geojson, dict):
                    copy.geojson = feature_subset(geo, list(copy.locations))
            fig.add_trace(copy)
        fig.update_layout({subplot: {"style": MAP_STYLE}})
        fig.add_annotation(
            text=t(key, lang),
            name=f"{INSET_TITLE_NAME}:{subplot}",
            xref="paper",
            yref="paper",
            xanchor="left",
            yanchor="top",
            showarrow=False,
            bgcolor="rgba(255,255,255,0.85)",
            font={"size": 12, "color": PALETTE["ink"]},
        )


def _point_hover(site: Mapping, lang: str) -> str:
    lines = [f"<b>{_pick(site, 'name', lang)}</b>", t(f"regions.kind.{site['layer']}", lang)]
    operator, city = _pick(site, "operator", lang), _pick(site, "city", lang)
    if operator:
        lines.append(t("regions.hover.operator", lang, operator=operator))
    place = " · ".join(p for p in (city, _places(site[f"province_{lang}"], lang)) if p)
    if place:
        lines.append(place)
    lines.append(t("regions.hover.click", lang))
    return "<br>".join(lines)


# ---------------------------------------------------------------- registered chart


def takeaway(site_frame: pd.DataFrame, metrics: pd.DataFrame, lang: str) -> str:
    hubs = site_frame[site_frame["layer"] == "hub"]
    return t(
        "regions.takeaway",
        lang,
        hubs=len(hubs),
        west=int((hubs["region_group"] == "west").sum()),
        shares=share_text(metrics, lang),
    )


def regions_map_chart(con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object], lang: str) -> ChartSpec:
    lang = normalize_lang(lang)
    layers = layers_from(scenario)
    site_frame, top5, metrics = sites(con), top5_members(con), region_metrics(con)
    shown = visible_sites(site_frame, layers)
    source_ids = sorted({sid for ids in shown["source_ids"] for sid in ids})
    if layers["top5"]:
        source_ids = sorted(
            set(source_ids) | set(top5["source_id"]) | set(metrics[metrics["figure_id"].isin(TOP5_FIGURE_IDS)]["source_id"])
        )
    if layers["eastwest"]:
        source_ids = sorted(set(source_ids) | {"supp_ndrc_dsxs_2022", "qb_regional"})
    source_frame = data.sources(con)
    line = data.format_source_line(source_frame[source_frame["source_id"].isin(source_ids)], lang) if source_ids else ""
    title = t("regions.chart.title", lang)
    # The layers that are on, in one entry: a footnote (slide 15's) and an API subtitle stay one short line,
    # not six "layer: on/off" pairs.
    shown_layers = ("、" if lang == "zh" else ", ").join(t(f"regions.layer.{layer}", lang) for layer, on in layers.items() if on)
    layer_labels = {t("regions.layers_heading", lang): shown_layers or t("regions.off", lang)}
    return ChartSpec(
        slug="regions-map",
        title=title,
        takeaway=takeaway(site_frame, metrics, lang),
        figure=regions_figure(load_provinces(), site_frame, layers, top5, metrics, title=title, source_line=line, lang=lang),
        data=map_table(site_frame, layers, top5, metrics, source_frame, lang),
        source_line=line,
        assumptions=layer_labels,
        native=None,  # a map goes into a deck as an image
    )


REGIONS_MAP = ChartDef("regions-map", "regions", "regions.chart.title", regions_map_chart)
CHARTS = (REGIONS_MAP,)


def clicked_site(points: list) -> str | None:
    """The site id of the first clicked map point that is a site (provinces and the inset are not), or None."""
    for point in points or []:
        custom = point.get("customdata") if isinstance(point, Mapping) else None
        if isinstance(custom, list | tuple) and len(custom) == 2 and custom[1] in POINT_LAYERS:
            return str(custom[0])
    return None


def metric_cards(metrics: pd.DataFrame, listed_cities: int, lang: str) -> list[dict]:
    """The regional numbers as cards (label, value as the app prints figures, help, source), in REGION_METRIC_IDS order."""
    by_id = {row["figure_id"]: row for row in metrics.to_dict("records")}
    cards = []
    for fid in REGION_METRIC_IDS:
        row = by_id.get(fid)
        if row is None:
            continue
        help_key = "regions.metric.cities_help" if fid == CITIES_FIGURE_ID else "regions.metric.share_help"
        cards.append(
            {
                "label": t(f"regions.metric.{fid}", lang, year=row["period"]),
                "value": format_figure(row, row, lang),
                "help": t(help_key, lang, listed=listed_cities),
                "source": t("regions.metric.source", lang, source=row[f"producer_{normalize_lang(lang)}"]),
            }
        )
    return cards


MARKDOWN_SPECIALS = "\\`*_{}[]<>()#+-.!|~$"


def markdown_escape(text: object) -> str:
    """Text shown through Markdown exactly as written: every Markdown special character escaped."""
    return "".join(f"\\{ch}" if ch in MARKDOWN_SPECIALS else ch for ch in str(text))


def details_markdown(pairs: list[tuple[str, str]], lang: str) -> str:
    """The detail panel as a Markdown list: bold label, escaped value."""
    colon = "：" if normalize_lang(lang) == "zh" else ": "
    return "\n".join(f"- **{markdown_escape(label)}**{colon}{markdown_escape(value)}" for label, value in pairs)


HALO_PX = 30  # the ring drawn around the chosen site
HALO_NAME = "selected-site"
UNSELECTED_OPACITY = 0.35


def highlight_site(fig: go.Figure, site_id: str | None) -> go.Figure:
    """A copy of the map with `site_id` picked out (a halo under it, the other sites dimmed), on the main map
    and in any inset that shows it; the figure itself when no site (or an unknown one) is chosen."""
    traces = [tr for tr in fig.data if tr.type == "scattermap" and tr.customdata is not None]
    hits = [(tr, i) for tr in traces for i, custom in enumerate(tr.customdata) if custom[0] == site_id]
    if not site_id or not hits:
        return fig
    out = copy_figure(fig)
    for trace in [tr for tr in out.data if tr.type == "scattermap" and tr.customdata is not None]:
        trace.selectedpoints = [i for i, custom in enumerate(trace.customdata) if custom[0] == site_id]
        trace.unselected = {"marker": {"opacity": UNSELECTED_OPACITY}}
    for trace, index in hits:
        out.add_trace(
            go.Scattermap(
                lat=[trace.lat[index]],
                lon=[trace.lon[index]],
                mode="markers",
                marker={"size": HALO_PX, "color": PALETTE["ink"], "opacity": 0.3},
                subplot=trace.subplot,
                name=HALO_NAME,
                showlegend=False,
                hoverinfo="skip",
            )
        )
    return out
