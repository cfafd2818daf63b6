"""The read-only HTTP API (`/api/v1/…`): every chart and table as CSV, JSON, SVG, PNG or Parquet.

Plain Python, no web framework: `Api.handle(method, path, query, headers)` returns a `Response`
(status, headers, body); `ui/http_api.py` maps Starlette requests onto it. A chart is built by the
same registered builder the page uses (`analysis.chartspec`), from the same scenario parameters
validated by `analysis.scenario`, so the page's CSV download and `…/charts/<slug>.csv` are the same
bytes. Nothing here writes: there is no write endpoint and saved scenarios are only read.

Every answer carries the database's content hash and build time (`X-Atlas-Content-Hash`,
`X-Atlas-Built-At`) and an `ETag` made of that hash, the imported figures' revision and the
resolved request, so `If-None-Match` gets a 304 until the data or the scenario change.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import duckdb
import pandas as pd

from analysis import data, images, imports
from analysis.auth import ANONYMOUS_VISITOR
from analysis.build import BuildError
from analysis.chart_export import SVG_HEIGHT_PX, SVG_WIDTH_PX
from analysis.chart_layout import api_medium, lay_out, render, scenario_subtitle
from analysis.charts import chart_file_name
from analysis.chartspec import ChartDef, ChartSpec, chart_defs
from analysis.compute import ComputeInputError
from analysis.compute_view import error_message as compute_error_message
from analysis.db import DatabaseDamaged, ensure_database, query, shared_connection
from analysis.explorer import explore, parquet_bytes, table_names
from analysis.i18n import DEFAULT_LANG, LANGS, t
from analysis.numbers import NumberError, parse_number
from analysis.scenario import BASELINE_NAME, Param, StoredScenarioInvalid, all_params, to_query
from analysis.schema import KINDS, ORIGINS
from analysis.sitemap import API_PREFIX
from analysis.tables import figures_export
from analysis.textsafe import csv_safe_frame
from analysis.userstore import StoreError, open_scenario_store, visible_names

ALLOWED_METHODS = "GET, HEAD, OPTIONS"
ALLOW_ORIGIN_ENV = "ATLAS_API_ALLOW_ORIGIN"  # one origin (or *) that browsers may call the API from; unset: none
DAMAGE_RETRY_SECONDS = 5  # a rebuild of the figure database takes about a second or two
STATUS_CHECK_SECONDS = 30  # as the app's frame: how soon an edit to datasets/ reaches the API
CHART_FORMATS = ("csv", "json", "svg", "png")
TABLE_FORMATS = ("csv", "json", "parquet")
FIGURES_FORMATS = ("csv", "json")
IMAGE_FORMATS = ("svg", "png")
FIGURE_FILTERS = ("metric", "kind", "source", "year", "origin", "layer", "q")

# Image bounds: big enough for a slide at 2x, small enough that one request cannot pin the renderer.
PNG_DEFAULT_SCALE = 2
IMAGE_WIDTH_PX = (300, 2400)
IMAGE_HEIGHT_PX = (200, 1600)
PNG_SCALE = (0.5, 3.0)
YEAR_RANGE = (1000, 9999)  # a `year` filter is a four-digit year
IMAGE_CACHE_ENTRIES = 64
SPEC_CACHE_ENTRIES = 128

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "svg": "image/svg+xml",
    "png": "image/png",
    "parquet": "application/vnd.apache.parquet",
}


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes = b""


class ApiError(Exception):
    """A request the API refuses: status, a code, the parameter at fault and what it would accept."""

    def __init__(self, status: int, code: str, message: str, *, param: str | None = None, allowed: object = None):
        super().__init__(message)
        self.status, self.code, self.message, self.param, self.allowed = status, code, message, param, allowed

    def body(self) -> dict:
        error: dict[str, object] = {"status": self.status, "code": self.code, "message": self.message}
        if self.param is not None:
            error["parameter"] = self.param
        if self.allowed is not None:
            error["allowed"] = self.allowed
        return {"error": error}


def csv_bytes(frame: pd.DataFrame) -> bytes:
    # utf-8-sig as the page's download: Excel opens Chinese headers correctly, pandas skips the BOM.
    return csv_safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def json_bytes(body: object) -> bytes:
    return json.dumps(body, ensure_ascii=False, indent=1, default=str).encode("utf-8")


def frame_records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts: NaN becomes null, dates ISO text."""
    return json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False))


class LruCache:
    """A small thread-safe LRU; `get_or_make` makes each missing value once even under a burst of requests."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._items: OrderedDict[object, object] = OrderedDict()
        self._lock = threading.Lock()
        self._making: dict[object, threading.Lock] = {}

    def get_or_make(self, key: object, make: Callable[[], object]) -> object:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            key_lock = self._making.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._items:
                    return self._items[key]
            try:
                value = make()
            finally:
                with self._lock:
                    self._making.pop(key, None)
            with self._lock:
                self._items[key] = value
                while len(self._items) > self.max_entries:
                    self._items.popitem(last=False)
            return value

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class _Database:
    path: Path
    content_hash: str
    built_at: str
    checked_at: float
    # The app's frame keys the shared connection the same way: two keys for one file would close each other's connection.
    connection_key: str = ""


class RecordingScenario(dict):
    """A scenario that notes every parameter a chart builder reads (to list what a chart depends on)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)


@dataclass
class Api:
    """The endpoints over the app's database and user-data folder (`analysis.paths`: ATLAS_DB_PATH, ATLAS_USER_DATA_DIR)."""

    allow_origin: str | None = field(default_factory=lambda: os.environ.get(ALLOW_ORIGIN_ENV) or None)
    renderer_factory: Callable[[], images.ImageRenderer] = images.default_renderer

    def __post_init__(self) -> None:
        self._db: _Database | None = None
        self._db_lock = threading.Lock()
        self._specs = LruCache(SPEC_CACHE_ENTRIES)
        self._images = LruCache(IMAGE_CACHE_ENTRIES)
        self._depends: dict[str, tuple[str, ...]] = {}
        self._charts = {c.slug: c for c in chart_defs()}
        self._params = all_params()

    # ------------------------------------------------------------------ entry point

    def handle(self, method: str, path: str, query: Iterable[tuple[str, str]], headers: Mapping[str, str]) -> Response:
        """One request in, one response out; every refusal is a JSON 4xx, never a traceback."""
        headers = {k.lower(): v for k, v in headers.items()}
        pairs = list(query)
        lang = _requested_lang(pairs, headers)
        try:
            if method == "OPTIONS":
                return self._finish(Response(204, {"Allow": ALLOWED_METHODS}))
            if method not in ("GET", "HEAD"):
                raise ApiError(405, "method_not_allowed", t("api.error.method", lang, method=method), allowed=["GET", "HEAD"])
            response = self._route(path, pairs, lang, headers)
        except ApiError as exc:
            response = Response(exc.status, {"Content-Type": MEDIA_TYPES["json"]}, json_bytes(exc.body()))
            if exc.status == 405:  # RFC 9110: a 405 names the methods the resource supports
                response.headers["Allow"] = ALLOWED_METHODS
        except DatabaseDamaged:  # reported by analysis.db: the next request's check hashes the file and rebuilds it
            with self._db_lock:
                self._db = None
            error = ApiError(503, "database_damaged", t("api.error.database_damaged", lang))
            headers_503 = {"Content-Type": MEDIA_TYPES["json"], "Retry-After": str(DAMAGE_RETRY_SECONDS)}
            response = Response(503, headers_503, json_bytes(error.body()))
        if method == "HEAD":  # the headers of the GET, its length included, without the body
            response = Response(response.status, {**response.headers, "Content-Length": str(len(response.body))}, b"")
        return self._finish(response)

    def _finish(self, response: Response) -> Response:
        headers = dict(response.headers)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        if self.allow_origin:
            headers["Access-Control-Allow-Origin"] = self.allow_origin
            headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            headers["Access-Control-Allow-Headers"] = "If-None-Match"
            headers["Access-Control-Expose-Headers"] = "ETag, X-Atlas-Content-Hash, X-Atlas-Built-At"
            if self.allow_origin != "*":
                headers["Vary"] = "Origin"
        return Response(response.status, headers, response.body)

    def _route(self, path: str, pairs: list[tuple[str, str]], lang: str, headers: Mapping[str, str]) -> Response:
        # A saved scenario's name is everything after scenarios/, slashes included: its link percent-encodes a
        # "/" (%2F), which arrives decoded, so "Q3/Q4" is found rather than read as two path segments.
        scenario_name = path.removeprefix(f"{API_PREFIX}/scenarios/") if path.startswith(f"{API_PREFIX}/scenarios/") else ""
        if scenario_name:
            return self._scenario(scenario_name, pairs, lang, headers)
        rest = path.removeprefix(API_PREFIX).strip("/")
        parts = rest.split("/") if rest else []
        if not parts:
            return self._index(pairs, lang, headers)
        head, tail = parts[0], parts[1:]
        if head == "charts" and not tail:
            return self._chart_list(pairs, lang, headers)
        if head == "charts" and len(tail) == 1:
            slug, fmt = _split_format(tail[0], CHART_FORMATS, lang)
            return self._chart(slug, fmt, pairs, lang, headers)
        if head.startswith("figures.") and not tail:
            _, fmt = _split_format(head, FIGURES_FORMATS, lang)
            return self._figures(fmt, pairs, lang, headers)
        if head == "tables" and not tail:
            return self._table_list(pairs, lang, headers)
        if head == "tables" and len(tail) == 1:
            name, fmt = _split_format(tail[0], TABLE_FORMATS, lang)
            return self._table(name, fmt, pairs, lang, headers)
        if head == "sources.json" and not tail:
            return self._sources(pairs, lang, headers)
        if head == "scenarios" and not tail:
            return self._scenario_list(pairs, lang, headers)
        if head == "scenarios" and len(tail) == 1:
            return self._scenario(tail[0], pairs, lang, headers)
        raise ApiError(404, "not_found", t("api.error.not_found", lang, path=path), param="path", allowed=self._endpoints())

    # ------------------------------------------------------------------ database state

    def database(self) -> _Database:
        """The current build (checked against datasets/ at most every STATUS_CHECK_SECONDS)."""
        with self._db_lock:
            now = time.monotonic()
            if self._db is None or now - self._db.checked_at > STATUS_CHECK_SECONDS:
                try:
                    status = ensure_database()
                except BuildError:
                    raise ApiError(503, "no_database", t("api.error.no_database", DEFAULT_LANG)) from None
                con = shared_connection(status.path, status.cache_key)
                built_at = str(data.build_info(con)["built_at"])
                self._db = _Database(status.path, status.datasets_hash, built_at, now, status.cache_key)
            return self._db

    def connection(self) -> duckdb.DuckDBPyConnection:
        db = self.database()
        return shared_connection(db.path, db.connection_key or db.content_hash)

    def _revision(self) -> int:
        return imports.revision()

    def _respond(
        self,
        request_headers: Mapping[str, str],
        key: object,
        make: Callable[[], tuple[bytes, str]],
        *,
        filename: str | None = None,
    ) -> Response:
        """Answer 304 when the client's ETag matches, else make the body; `key` is the resolved request."""
        db = self.database()
        etag = (
            '"'
            + hashlib.sha256(json.dumps([db.content_hash, self._revision(), key], default=str).encode()).hexdigest()[:32]
            + '"'
        )
        headers = {
            "ETag": etag,
            "Cache-Control": "no-cache",  # always revalidate: the data change when the database is rebuilt
            "X-Atlas-Content-Hash": db.content_hash,
            "X-Atlas-Built-At": db.built_at,
        }
        condition = request_headers.get("if-none-match", "")
        # "*" matches any current representation, so the request must first be one that has one: the body is
        # made (and a request it refuses, e.g. a 422, refused) before a 304 is given for "*".
        if _etag_matches(condition, etag) and not _any_tag(condition):
            return Response(304, headers)
        body, media_type = make()
        if _any_tag(condition):
            return Response(304, headers)
        headers["Content-Type"] = media_type
        if filename:
            headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
        return Response(200, headers, body)

    def _meta(self) -> dict:
        db = self.database()
        return {"content_hash": db.content_hash, "built_at": db.built_at, "imports_revision": self._revision()}

    # ------------------------------------------------------------------ endpoints

    def _endpoints(self) -> list[str]:
        return [
            f"{API_PREFIX}/charts",
            f"{API_PREFIX}/charts/{{slug}}.{{{'|'.join(CHART_FORMATS)}}}",
            f"{API_PREFIX}/figures.{{{'|'.join(FIGURES_FORMATS)}}}",
            f"{API_PREFIX}/tables",
            f"{API_PREFIX}/tables/{{name}}.{{{'|'.join(TABLE_FORMATS)}}}",
            f"{API_PREFIX}/sources.json",
            f"{API_PREFIX}/scenarios",
            f"{API_PREFIX}/scenarios/{{name}}",
        ]

    def _index(self, pairs, lang, headers) -> Response:
        _check_names(pairs, ("lang",), lang)
        return self._respond(
            headers,
            ["index", lang],
            lambda: (json_bytes({"database": self._meta(), "endpoints": self._endpoints()}), MEDIA_TYPES["json"]),
        )

    def chart_parameters(self, chart: ChartDef) -> tuple[str, ...]:
        """Scenario parameters a chart can depend on: those of its page and any other its builder reads."""
        if chart.slug not in self._depends:
            defaults = {n: p.default for n, p in self._params.items()}
            recorder = RecordingScenario(defaults)
            chart.build(self.connection(), recorder, DEFAULT_LANG)
            read = set(recorder.read)
            # A switch can bring more parameters in (cyc_link reads the workload path): build once more with
            # every switch it read turned the other way.
            switches = {n: not defaults[n] for n in recorder.read if n in self._params and self._params[n].kind == "bool"}
            if switches:
                flipped = RecordingScenario({**defaults, **switches})
                chart.build(self.connection(), flipped, DEFAULT_LANG)
                read |= flipped.read
            # Builders often take their settings with `scenario.items()`, which cannot be traced: every parameter
            # of the chart's page counts, so the list is a superset (one of them may leave this chart as it is).
            page = {n for n, p in self._params.items() if p.page_id == chart.page_id}
            self._depends[chart.slug] = tuple(n for n in self._params if n in page | read)
        return self._depends[chart.slug]

    def _chart_list(self, pairs, lang, headers) -> Response:
        _check_names(pairs, ("lang",), lang)

        def make():
            charts = []
            for chart in self._charts.values():
                charts.append(
                    {
                        "slug": chart.slug,
                        "title": {code: t(chart.title_key, code) for code in LANGS},
                        "page": chart.page_id,
                        "parameters": list(self.chart_parameters(chart)),
                        "formats": list(CHART_FORMATS),
                        "urls": {fmt: f"{API_PREFIX}/charts/{chart.slug}.{fmt}" for fmt in CHART_FORMATS},
                    }
                )
            return json_bytes({"database": self._meta(), "charts": charts}), MEDIA_TYPES["json"]

        return self._respond(headers, ["charts", lang], make)

    def _chart(self, slug: str, fmt: str, pairs, lang, headers) -> Response:
        chart = self._charts.get(slug)
        if chart is None:
            raise ApiError(
                404, "unknown_chart", t("api.error.unknown_chart", lang, value=slug), param="slug", allowed=sorted(self._charts)
            )
        size_names = ("width", "height", "scale") if fmt == "png" else ("width", "height") if fmt == "svg" else ()
        _check_names(pairs, ("lang", "scenario", *self._params, *size_names), lang)
        values = self.scenario_values(pairs, lang)
        size = _image_size(pairs, fmt, lang)
        items = tuple(sorted(values.items()))
        stem = chart_file_name(slug, lang)
        # A picture says which scenario it shows: the name is part of what identifies it.
        name = dict(pairs).get("scenario", "").strip() if fmt in IMAGE_FORMATS else ""

        spec_key = (slug, self.database().content_hash, self._revision(), lang, items)

        def spec() -> ChartSpec:
            return self._specs.get_or_make(spec_key, lambda: self._build(chart, values, lang))

        def make():
            if fmt == "csv":
                return csv_bytes(spec().data), MEDIA_TYPES["csv"]
            if fmt == "json":
                return spec().figure.to_json().encode("utf-8"), MEDIA_TYPES["json"]

            def draw() -> bytes:
                built = spec()
                return self._render(built, fmt, size, lang, self.picture_subtitle(chart, built, values, name, lang))

            image = self._images.get_or_make((spec_key, fmt, size, name), draw)
            return image, MEDIA_TYPES[fmt]

        key = ["chart", slug, fmt, lang, items, size] + ([name] if name else [])
        return self._respond(headers, key, make, filename=f"{stem}.{fmt}")

    def picture_subtitle(
        self, chart: ChartDef, spec: ChartSpec, values: Mapping[str, object], name: str, lang: str
    ) -> str | None:
        """The scenario line under a picture's title: None for a chart no scenario parameter changes."""
        depends = self.chart_parameters(chart)
        if not depends and not spec.assumptions:
            return None
        baseline = all(values[n] == self._params[n].default for n in depends)
        if not name:
            name = BASELINE_NAME if baseline else ""
        return scenario_subtitle(name, baseline=baseline, assumptions=spec.assumptions, lang=lang)

    def _build(self, chart: ChartDef, values: Mapping[str, object], lang: str) -> ChartSpec:
        try:
            return chart.build(self.connection(), dict(values), lang)
        except ValueError as exc:  # valid values that do not compute together, e.g. a chip whose peak is unknown
            raise ApiError(
                422,
                "cannot_compute",
                t("api.error.cannot_compute", lang, detail=_input_problem(exc, lang)),
                param=_param_of_field(getattr(exc, "field", None), self._params),
            ) from None

    def _render(self, spec: ChartSpec, fmt: str, size: tuple, lang: str, subtitle: str | None = None) -> bytes:
        """The picture laid out for the requested size (`analysis.chart_layout`: taller if the plot needs room)."""
        width, height, scale = size
        try:
            picture = lay_out(spec.figure, api_medium(width, height), subtitle=subtitle)
            return render(picture, fmt, scale=scale, renderer=self.renderer_factory())
        except images.ImagesUnavailable as exc:
            raise ApiError(503, "images_unavailable", t("api.error.images_unavailable", lang, reason=str(exc))) from None

    def scenario_values(self, pairs: list[tuple[str, str]], lang: str) -> dict[str, object]:
        """The scenario a request names: a saved one (`scenario=NAME`) or the baseline, then its URL values on top."""
        given = dict(pairs)
        name = given.get("scenario", "").strip()
        values = {n: p.default for n, p in self._params.items()}
        if name and name != BASELINE_NAME:
            store = open_scenario_store()
            try:
                names = public_names(store)
                if name not in names:
                    raise ApiError(
                        404,
                        "unknown_scenario",
                        t("api.error.unknown_scenario", lang, value=name),
                        param="scenario",
                        allowed=names,
                    )
                values = store.load(name)
            except StoreError:
                raise ApiError(503, "store_unreadable", t("api.error.store_unreadable", lang)) from None
            except StoredScenarioInvalid as exc:
                raise _stored_invalid(exc, "scenario", self._params, lang) from None
        for key, raw in pairs:  # a repeated parameter: the last one wins, as on the page
            param = self._params.get(key)
            if param is None:
                continue
            try:
                values[key] = param.parse(raw)
            except ValueError as exc:
                raise ApiError(
                    400,
                    "bad_value",
                    t("api.error.bad_value", lang, param=key, value=raw[:40], allowed=_allowed_text(param, lang)),
                    param=key,
                    allowed=_allowed(param),
                ) from exc
        return values

    def _figures(self, fmt: str, pairs, lang, headers) -> Response:
        _check_names(pairs, ("lang", *FIGURE_FILTERS), lang)
        filters = {
            name: [v.strip() for raw in _values(pairs, name) for v in raw.split(",") if v.strip()] for name in FIGURE_FILTERS
        }
        layer = filters["layer"][-1] if filters["layer"] else "both"
        _check_choices("layer", [layer], imports.LAYERS, lang)
        _check_choices("kind", filters["kind"], KINDS, lang)
        _check_choices("origin", filters["origin"], (*ORIGINS, imports.IMPORTED_ORIGIN), lang)
        years = sorted({_year(y, lang) for y in filters["year"]})
        filters["year"] = [str(y) for y in years]  # 2025 and 2025.0 are one request, with one cache entry and ETag
        key = ["figures", fmt, lang, layer, {k: sorted(v) for k, v in filters.items()}]

        def make():
            con = self.connection()
            everything = imports.figures_with_imports(con, layer)
            _check_choices("metric", filters["metric"], sorted(set(everything["metric"])), lang)
            _check_choices("source", filters["source"], sorted(set(everything["source_id"])), lang)
            shown = explore(
                everything,
                metrics=filters["metric"],
                kinds=filters["kind"],
                origins=filters["origin"],
                source_ids=filters["source"],
                years=years,
                search=" ".join(filters["q"]),
            )
            export = figures_export(shown)
            if fmt == "csv":
                return csv_bytes(export), MEDIA_TYPES["csv"]
            return json_bytes({"database": self._meta(), "count": len(export), "rows": frame_records(export)}), MEDIA_TYPES[
                "json"
            ]

        return self._respond(headers, key, make, filename=f"compute-atlas_figures_{lang}.{fmt}")

    def _table_list(self, pairs, lang, headers) -> Response:
        _check_names(pairs, ("lang",), lang)

        def make():
            names = table_names(self.connection())
            tables = [{"name": n, "urls": {fmt: f"{API_PREFIX}/tables/{n}.{fmt}" for fmt in TABLE_FORMATS}} for n in names]
            return json_bytes({"database": self._meta(), "tables": tables}), MEDIA_TYPES["json"]

        return self._respond(headers, ["tables", lang], make)

    def _table(self, name: str, fmt: str, pairs, lang, headers) -> Response:
        _check_names(pairs, ("lang",), lang)
        names = table_names(self.connection())
        if name not in names:
            raise ApiError(404, "unknown_table", t("api.error.unknown_table", lang, value=name), param="name", allowed=names)

        def make():
            # `name` is one of the database's own table names (checked above), so quoting it is safe.
            frame = query(self.connection(), f'SELECT * FROM "{name}"')
            if fmt == "csv":
                return csv_bytes(frame), MEDIA_TYPES["csv"]
            if fmt == "parquet":
                return parquet_bytes(frame), MEDIA_TYPES["parquet"]
            return json_bytes(
                {"database": self._meta(), "table": name, "count": len(frame), "rows": frame_records(frame)}
            ), MEDIA_TYPES["json"]

        return self._respond(headers, ["table", name, fmt], make, filename=f"compute-atlas_{name}.{fmt}")

    def _sources(self, pairs, lang, headers) -> Response:
        _check_names(pairs, ("lang",), lang)

        def make():
            frame = data.sources(self.connection())
            return json_bytes({"database": self._meta(), "count": len(frame), "rows": frame_records(frame)}), MEDIA_TYPES["json"]

        return self._respond(headers, ["sources"], make)

    def _scenario_list(self, pairs, lang, headers) -> Response:
        _check_names(pairs, ("lang",), lang)
        store = open_scenario_store()
        try:
            listing = [
                {"name": n, "saved_at": store.saved_at(n), "url": f"{API_PREFIX}/scenarios/{quote(n, safe='')}"}
                for n in public_names(store)
            ]
        except StoreError:
            raise ApiError(503, "store_unreadable", t("api.error.store_unreadable", lang)) from None
        return self._respond(headers, ["scenarios", listing], lambda: (json_bytes({"scenarios": listing}), MEDIA_TYPES["json"]))

    def _scenario(self, raw_name: str, pairs, lang, headers) -> Response:
        _check_names(pairs, ("lang",), lang)
        store = open_scenario_store()
        try:
            names = public_names(store)
            name = raw_name if raw_name in names else raw_name.removesuffix(".json")
            if name not in names:
                raise ApiError(
                    404, "unknown_scenario", t("api.error.unknown_scenario", lang, value=raw_name), param="name", allowed=names
                )
            values, saved_at = store.load(name), store.saved_at(name)
        except StoreError:
            raise ApiError(503, "store_unreadable", t("api.error.store_unreadable", lang)) from None
        except StoredScenarioInvalid as exc:
            raise _stored_invalid(exc, "name", self._params, lang) from None
        changed = {n: v for n, v in values.items() if v != self._params[n].default}
        body = {
            "format": "compute-atlas-scenario",
            "version": 1,
            "name": name,
            "saved_at": saved_at,
            "values": values,
            "changed": changed,
        }
        return self._respond(headers, ["scenario", name, values, saved_at], lambda: (json_bytes(body), MEDIA_TYPES["json"]))


# ---------------------------------------------------------------------- request helpers


def _requested_lang(pairs: list[tuple[str, str]], headers: Mapping[str, str]) -> str:
    """The `lang` parameter when valid; else the client's Accept-Language if we speak it; else the default."""
    given = dict(pairs).get("lang")
    if given in LANGS:
        return given
    accepted = headers.get("accept-language", "").lower()
    return "en" if accepted.startswith("en") else DEFAULT_LANG


def _values(pairs: list[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in pairs if k == name]


def _split_format(segment: str, formats: tuple[str, ...], lang: str) -> tuple[str, str]:
    stem, dot, fmt = segment.rpartition(".")
    if not dot or fmt not in formats:
        raise ApiError(
            404,
            "unknown_format",
            t("api.error.unknown_format", lang, value=segment, allowed=", ".join(formats)),
            param="format",
            allowed=list(formats),
        )
    return stem, fmt


def _check_names(pairs: list[tuple[str, str]], allowed: Iterable[str], lang: str) -> None:
    """A misspelt parameter would otherwise be silently ignored and the default served: refuse it."""
    allowed = list(allowed)
    for key, value in pairs:
        if key not in allowed:
            raise ApiError(
                400, "unknown_parameter", t("api.error.unknown_parameter", lang, param=key), param=key, allowed=allowed
            )
        if key == "lang" and value not in LANGS:
            raise ApiError(
                400,
                "bad_value",
                t("api.error.bad_value", lang, param="lang", value=value[:20], allowed=", ".join(LANGS)),
                param="lang",
                allowed=list(LANGS),
            )


def _check_choices(name: str, given: list[str], allowed: Iterable[str], lang: str) -> None:
    allowed = list(allowed)
    for value in given:
        if value not in allowed:
            raise ApiError(
                400,
                "bad_value",
                t("api.error.bad_value", lang, param=name, value=value[:40], allowed=", ".join(allowed)),
                param=name,
                allowed=allowed,
            )


def _param_of_field(field_name: str | None, params: Mapping[str, Param]) -> str | None:
    """The scenario parameter behind a calculator field (gpu → cmp_chip, days → cmp_days)."""
    if field_name == "gpu":
        return "cmp_chip"
    return f"cmp_{field_name}" if f"cmp_{field_name}" in params else field_name


def _input_problem(exc: ValueError, lang: str) -> str:
    """A builder's refusal in the reader's language where the calculator translates it."""
    if isinstance(exc, ComputeInputError):
        return compute_error_message(exc, lang)
    return str(exc)


def _allowed(param: Param) -> object:
    if param.kind == "choice":
        return list(param.choices)
    if param.kind == "bool":
        return ["0", "1", "true", "false"]
    return {"kind": param.kind, "min": param.min_value, "max": param.max_value, "unit": param.unit}


def _allowed_text(param: Param, lang: str) -> str:
    if param.kind == "choice":
        return ", ".join(param.choices)
    if param.kind == "bool":
        return t("api.allowed_bool", lang)
    key = "api.allowed_int" if param.kind == "int" else "api.allowed_number"
    return t(key, lang, low=f"{param.min_value:g}", high=f"{param.max_value:g}", unit=param.unit)


def _bounded(pairs, name: str, default: float, bounds: tuple[float, float], lang: str, *, whole: bool) -> float:
    given = _values(pairs, name)
    if not given:
        return default
    raw = given[-1]
    low, high = bounds
    try:  # ASCII digits only: float() would also take "１０００", "1_000" and " 1000 "
        value = parse_number(raw, whole=whole, min_value=low, max_value=high)
    except NumberError:
        value = None
    if value is None:
        key = "api.allowed_int" if whole else "api.allowed_number"
        allowed_text = t(key, lang, low=f"{low:g}", high=f"{high:g}", unit="")
        raise ApiError(
            400,
            "bad_value",
            t("api.error.bad_value", lang, param=name, value=raw[:20], allowed=allowed_text),
            param=name,
            allowed={"min": low, "max": high},
        )
    return value


def _year(text: str, lang: str) -> int:
    """A `year` filter: four ASCII digits' worth (analysis.numbers), so "²" or a 5,000-digit year is a 400, not a 500."""
    try:
        return parse_number(text, whole=True, min_value=YEAR_RANGE[0], max_value=YEAR_RANGE[1])
    except NumberError:
        raise ApiError(400, "bad_value", t("api.error.bad_year", lang, value=text[:20]), param="year", allowed="YYYY") from None


def public_names(store) -> list[str]:
    """The saved scenarios the API serves: those anyone may view (shared ones; with sign-in, never another user's
    private scenario: the API has no sign-in and answers as an anonymous visitor)."""
    return visible_names(store, ANONYMOUS_VISITOR)


def _stored_invalid(exc: StoredScenarioInvalid, param: str, params: Mapping[str, Param], lang: str) -> ApiError:
    """A saved scenario whose values today's checks refuse: a 422 naming them, never a chart drawn from it."""
    refused = ", ".join(p.name for p in exc.problems)
    return ApiError(
        422,
        "stored_scenario_invalid",
        t("api.error.stored_scenario_invalid", lang, value=exc.name, params=refused),
        param=param,
        allowed={p.name: _allowed(params[p.name]) for p in exc.problems},
    )


def _image_size(pairs, fmt: str, lang: str) -> tuple:
    if fmt not in IMAGE_FORMATS:
        return ()
    width = _bounded(pairs, "width", SVG_WIDTH_PX, IMAGE_WIDTH_PX, lang, whole=True)
    height = _bounded(pairs, "height", SVG_HEIGHT_PX, IMAGE_HEIGHT_PX, lang, whole=True)
    scale = _bounded(pairs, "scale", PNG_DEFAULT_SCALE, PNG_SCALE, lang, whole=False) if fmt == "png" else 1
    return (width, height, scale)


def _any_tag(header: str) -> bool:
    return "*" in (tag.strip() for tag in header.split(","))


def _etag_matches(header: str, etag: str) -> bool:
    if not header:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags


# ---------------------------------------------------------------------- links for the app's share panel


def chart_url(base_url: str, slug: str, fmt: str, lang: str, values: Mapping[str, object]) -> str:
    """The live address of a chart in a scenario: `lang` first, then every value that differs from the baseline."""
    query = {"lang": lang, **to_query(values)}
    return f"{base_url.rstrip('/')}{API_PREFIX}/charts/{slug}.{fmt}?{urlencode(query)}"


def embed_snippet(png_url: str, alt: str) -> str:
    """An <img> for a wiki page or a shared document, as wide as the PNG's default drawing (its height follows:
    a picture grows taller when its legend needs room)."""
    return f'<img src="{html.escape(png_url)}" alt="{html.escape(alt)}" width="{SVG_WIDTH_PX}">'


def base_url(page_url: str, base_path: str = "") -> str:
    """The server's root as the browser reached it (scheme, host, port and Streamlit's baseUrlPath)."""
    parts = urlsplit(page_url)
    if not parts.scheme or not parts.netloc:
        return ""
    path = "/" + base_path.strip("/") if base_path.strip("/") else ""
    return f"{parts.scheme}://{parts.netloc}{path}"
