"""Build datasets/geo/china_provinces.geojson from Apache ECharts 4.9.0's China map (run once; output committed).

Steps, in order:
1. Read `package/map/json/china.json` from the npm tarball of echarts 4.9.0 (Apache-2.0; the last release
   that shipped map data) and check its SHA-256, so a different file cannot slip in unnoticed.
2. Decode ECharts' compressed coordinates (zig-zag, delta, 1/1024 degree; the algorithm of
   echarts/src/coord/geo/parseGeoJson.js) into plain GeoJSON longitude/latitude pairs.
3. Add the two pieces that ECharts draws in code rather than in the JSON, taken from the same release:
   the 钓鱼岛 (Diaoyu Dao) polygon added to 台湾 (src/coord/geo/fix/diaoyuIsland.js) and the
   南海诸岛 inset map (South China Sea Islands, with the dashed boundary line, src/coord/geo/fix/nanhai.js).
4. Drop degenerate rings of the source (fewer than four positions: no area), then simplify every ring with
   Douglas–Peucker (tolerance `TOLERANCE_DEG`) without dropping any: a ring that would collapse below four
   points is kept as it was (small islands, the inset's dashes).
5. Round to 3 decimals (about 100 m; the source is quantised at 1/1024° ≈ 0.001° already), name each
   feature in Chinese and English, and write compact JSON.

Usage:
    python scripts/build_china_geojson.py [path/to/echarts-4.9.0.tgz]
Without a path it runs `npm pack echarts@4.9.0` in a temporary folder (needs npm and the npm registry).
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "datasets" / "geo" / "china_provinces.geojson"
STATIC_COPY = ROOT / "static" / OUTPUT.name  # what the app serves to the browser (tests keep it identical)

ECHARTS_PACKAGE = "echarts@4.9.0"
SOURCE_MEMBER = "package/map/json/china.json"
SOURCE_SHA256 = "d392f651a48e6213c9bfc83f406711069de296c17f426cffc0ad1148078ee226"
ENCODE_SCALE_DEFAULT = 1024  # ECharts' default when the file has no UTF8Scale
TOLERANCE_DEG = 0.03  # Douglas–Peucker tolerance: about 3 km, under half a pixel at the page's national zoom
DECIMALS = 3
MIN_RING_POINTS = 4  # a closed ring needs at least 4 positions (first = last)

INSET_ID = "南海诸岛"

# adcode → (English name, kind). Chinese names come from the source file; English names are ours.
PROVINCES_EN = {
    "110000": ("Beijing", "municipality"),
    "120000": ("Tianjin", "municipality"),
    "130000": ("Hebei", "province"),
    "140000": ("Shanxi", "province"),
    "150000": ("Inner Mongolia", "autonomous_region"),
    "210000": ("Liaoning", "province"),
    "220000": ("Jilin", "province"),
    "230000": ("Heilongjiang", "province"),
    "310000": ("Shanghai", "municipality"),
    "320000": ("Jiangsu", "province"),
    "330000": ("Zhejiang", "province"),
    "340000": ("Anhui", "province"),
    "350000": ("Fujian", "province"),
    "360000": ("Jiangxi", "province"),
    "370000": ("Shandong", "province"),
    "410000": ("Henan", "province"),
    "420000": ("Hubei", "province"),
    "430000": ("Hunan", "province"),
    "440000": ("Guangdong", "province"),
    "450000": ("Guangxi", "autonomous_region"),
    "460000": ("Hainan", "province"),
    "500000": ("Chongqing", "municipality"),
    "510000": ("Sichuan", "province"),
    "520000": ("Guizhou", "province"),
    "530000": ("Yunnan", "province"),
    "540000": ("Xizang", "autonomous_region"),
    "610000": ("Shaanxi", "province"),
    "620000": ("Gansu", "province"),
    "630000": ("Qinghai", "province"),
    "640000": ("Ningxia", "autonomous_region"),
    "650000": ("Xinjiang", "autonomous_region"),
    "710000": ("Taiwan", "province"),
    "810000": ("Hong Kong", "sar"),
    "820000": ("Macao", "sar"),
}

# echarts 4.9.0 src/coord/geo/fix/diaoyuIsland.js (Apache-2.0): added to 台湾.
DIAOYU_RING = [
    [123.45165252685547, 25.73527164402261],
    [123.49731445312499, 25.73527164402261],
    [123.49731445312499, 25.750734064600884],
    [123.45165252685547, 25.750734064600884],
    [123.45165252685547, 25.73527164402261],
]

# echarts 4.9.0 src/coord/geo/fix/nanhai.js (Apache-2.0): the inset, in inset units, placed at NANHAI_ORIGIN.
NANHAI_ORIGIN = (126.0, 25.0)
NANHAI_X_DIVISOR = 10.5
NANHAI_Y_DIVISOR = -10.5 / 0.75
NANHAI_POINTS = [
    [[0, 3.5], [7, 11.2], [15, 11.9], [30, 7], [42, 0.7], [52, 0.7], [56, 7.7], [59, 0.7], [64, 0.7], [64, 0], [5, 0], [0, 3.5]],
    [[13, 16.1], [19, 14.7], [16, 21.7], [11, 23.1], [13, 16.1]],
    [[12, 32.2], [14, 38.5], [15, 38.5], [13, 32.2], [12, 32.2]],
    [[16, 47.6], [12, 53.2], [13, 53.2], [18, 47.6], [16, 47.6]],
    [[6, 64.4], [8, 70], [9, 70], [8, 64.4], [6, 64.4]],
    [[23, 82.6], [29, 79.8], [30, 79.8], [25, 82.6], [23, 82.6]],
    [[37, 70.7], [43, 62.3], [44, 62.3], [39, 70.7], [37, 70.7]],
    [[48, 51.1], [51, 45.5], [53, 45.5], [50, 51.1], [48, 51.1]],
    [[51, 35], [51, 28.7], [53, 28.7], [53, 35], [51, 35]],
    [[52, 22.4], [55, 17.5], [56, 17.5], [53, 22.4], [52, 22.4]],
    [[58, 12.6], [62, 7], [63, 7], [60, 12.6], [58, 12.6]],
    [[0, 3.5], [0, 93.1], [64, 93.1], [64, 0], [63, 0], [63, 92.4], [1, 92.4], [1, 3.5], [0, 3.5]],
]


def read_source(tarball: Path | None) -> dict:
    """The ECharts China map JSON, checked against its known SHA-256."""
    if tarball is None:
        with tempfile.TemporaryDirectory() as folder:
            subprocess.run(["npm", "pack", ECHARTS_PACKAGE, "--silent"], cwd=folder, check=True, capture_output=True)
            (packed,) = Path(folder).glob("echarts-*.tgz")
            return read_source(packed)
    with tarfile.open(tarball) as archive:
        raw = archive.extractfile(SOURCE_MEMBER).read()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SOURCE_SHA256:
        raise SystemExit(
            f"{SOURCE_MEMBER} has SHA-256 {digest}, expected {SOURCE_SHA256}: not the file this script was written for"
        )
    return json.load(io.BytesIO(raw))


def decode_ring(encoded: str, offset: list[int], scale: float) -> list[list[float]]:
    """One ECharts-encoded ring: pairs of characters, zig-zag and delta encoded, quantised by `scale`."""
    previous_x, previous_y = offset
    ring = []
    for i in range(0, len(encoded), 2):
        x = ord(encoded[i]) - 64
        y = ord(encoded[i + 1]) - 64
        x = (x >> 1) ^ (-(x & 1))
        y = (y >> 1) ^ (-(y & 1))
        previous_x, previous_y = x + previous_x, y + previous_y
        ring.append([previous_x / scale, previous_y / scale])
    if ring and ring[0] != ring[-1]:
        ring.append(list(ring[0]))
    return ring


def decode_polygons(geometry: dict, scale: float) -> list[list[list[list[float]]]]:
    """Every polygon of a feature as a list of rings (exterior first), whatever its geometry type."""
    coordinates, offsets = geometry["coordinates"], geometry["encodeOffsets"]
    if geometry["type"] == "Polygon":
        return [[decode_ring(ring, offsets[i], scale) for i, ring in enumerate(coordinates)]]
    if geometry["type"] == "MultiPolygon":
        return [
            [decode_ring(ring, offsets[j][i], scale) for i, ring in enumerate(polygon)] for j, polygon in enumerate(coordinates)
        ]
    raise SystemExit(f"unexpected geometry type {geometry['type']!r}")


def nanhai_polygons() -> list[list[list[list[float]]]]:
    ox, oy = NANHAI_ORIGIN
    return [[[[x / NANHAI_X_DIVISOR + ox, y / NANHAI_Y_DIVISOR + oy] for x, y in ring]] for ring in NANHAI_POINTS]


def _distance_to_segment(point: list[float], start: list[float], end: list[float]) -> float:
    (px, py), (ax, ay), (bx, by) = point, start, end
    dx, dy = bx - ax, by - ay
    if dx == 0 and dy == 0:
        return ((px - ax) ** 2 + (py - ay) ** 2) ** 0.5
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return ((px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2) ** 0.5


def douglas_peucker(points: list[list[float]], tolerance: float) -> list[list[float]]:
    """Keep the end points and, recursively, every point farther than `tolerance` from the chord (iterative)."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, index = 0.0, None
        for i in range(first + 1, last):
            distance = _distance_to_segment(points[i], points[first], points[last])
            if distance > farthest:
                farthest, index = distance, i
        if index is not None and farthest > tolerance:
            keep[index] = True
            stack.extend([(first, index), (index, last)])
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def simplify_ring(ring: list[list[float]], tolerance: float) -> list[list[float]]:
    """A closed ring simplified in two halves (so the closing point stays), or unchanged if it would collapse."""
    middle = len(ring) // 2
    simplified = douglas_peucker(ring[: middle + 1], tolerance)[:-1] + douglas_peucker(ring[middle:], tolerance)
    rounded = [[round(x, DECIMALS), round(y, DECIMALS)] for x, y in simplified]
    deduplicated = [p for i, p in enumerate(rounded) if i == 0 or p != rounded[i - 1]]
    if len(deduplicated) < MIN_RING_POINTS:
        deduplicated = [[round(x, DECIMALS), round(y, DECIMALS)] for x, y in ring]
    return deduplicated


def is_degenerate(ring: list[list[float]]) -> bool:
    """Fewer than 4 positions cannot enclose an area (the source has a few such slivers, e.g. one of 辽宁's)."""
    return len(ring) < MIN_RING_POINTS


def feature(feature_id: str, properties: dict, polygons: list, tolerance: float) -> dict:
    simplified = [
        [simplify_ring(ring, tolerance) for ring in polygon if not is_degenerate(ring)]
        for polygon in polygons
        if not is_degenerate(polygon[0])  # no exterior, no polygon
    ]
    return {
        "type": "Feature",
        "id": feature_id,
        "properties": properties,
        "geometry": {"type": "MultiPolygon", "coordinates": simplified},
    }


def build(source: dict, tolerance: float = TOLERANCE_DEG) -> dict:
    scale = source.get("UTF8Scale") or ENCODE_SCALE_DEFAULT
    features = []
    for item in source["features"]:
        adcode, name_zh = item["properties"]["id"], item["properties"]["name"]
        name_en, kind = PROVINCES_EN[adcode]
        polygons = decode_polygons(item["geometry"], scale)
        if name_zh == "台湾":
            polygons.append([DIAOYU_RING])
        properties = {"adcode": adcode, "name_zh": name_zh, "name_en": name_en, "kind": kind}
        features.append(feature(name_zh, properties, polygons, tolerance))
    missing = sorted(set(PROVINCES_EN) - {f["properties"]["adcode"] for f in features})
    if missing:
        raise SystemExit(f"the source has no feature for adcode(s) {', '.join(missing)}")
    features.sort(key=lambda f: f["properties"]["adcode"])
    inset = {"adcode": "", "name_zh": INSET_ID, "name_en": "South China Sea Islands", "kind": "inset"}
    features.append(feature(INSET_ID, inset, nanhai_polygons(), tolerance))
    return {
        "type": "FeatureCollection",
        "source": "Apache ECharts 4.9.0 (npm echarts@4.9.0), map/json/china.json with src/coord/geo/fix/{diaoyuIsland,nanhai}.js",
        "license": "Apache-2.0",
        "simplification": f"Douglas-Peucker, tolerance {tolerance} degrees, {DECIMALS} decimals; scripts/build_china_geojson.py",
        "features": features,
    }


def main(argv: list[str]) -> None:
    tarball = Path(argv[1]) if len(argv) > 1 else None
    collection = build(read_source(tarball))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    OUTPUT.write_text(text + "\n", encoding="utf-8")
    STATIC_COPY.parent.mkdir(parents=True, exist_ok=True)
    STATIC_COPY.write_text(text + "\n", encoding="utf-8")
    points = sum(len(ring) for f in collection["features"] for polygon in f["geometry"]["coordinates"] for ring in polygon)
    print(
        f"wrote {OUTPUT.relative_to(ROOT)}: {len(collection['features'])} features, {points} points, {OUTPUT.stat().st_size:,} bytes"
    )


if __name__ == "__main__":
    main(sys.argv)
