"""The read-only HTTP API under /api/v1, through Starlette's TestClient on the routes the server mounts.

Coverage: the chart list; every registered chart as CSV and JSON in both languages (the CSV compared
byte for byte with the page's CSV download for the same scenario); every chart as PNG (small, 400 × 300
at scale 0.5, in English) and as SVG (in Chinese), each drawn once by the warm kaleido renderer; full-size
PNG and SVG with the source line for a representative chart in both languages; the figures with every
filter, every table in every format, the sources, saved scenarios; every kind of bad request with its
4xx and message; ETag and 304; CORS; the per-process image cache under a burst of requests.
"""

from __future__ import annotations

import asyncio
import io
import json
import struct
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlencode

import pandas as pd
import plotly.io as pio
import pytest
from starlette.applications import Starlette

from analysis import api as api_module
from analysis import images, scenario
from analysis.api import Api, base_url, chart_url, embed_snippet
from analysis.auth import SIGNED_IN, Identity
from analysis.chart_layout import api_medium, lay_out
from analysis.charts import full_source_text
from analysis.chartspec import chart_def, chart_defs
from analysis.db import connect_readonly
from analysis.explorer import period_years, table_names
from analysis.i18n import LANGS, t
from analysis.imports import figures_with_imports
from analysis.tables import figures_export
from analysis.userstore import ScenarioStore
from ui.http_api import routes
from ui.widgets import csv_bytes as page_csv_bytes

CHARTS = [c.slug for c in chart_defs()]


@dataclass
class Answer:
    status_code: int
    headers: dict[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")

    def json(self):
        return json.loads(self.content)


class AsgiClient:
    """Drives an ASGI app in-process, as uvicorn would (starlette.testclient needs httpx2, not installed here)."""

    def __init__(self, app):
        self.app = app

    def request(self, method: str, path: str, *, params=None, headers=None) -> Answer:
        pairs = [(k, v) for k, vs in (params or {}).items() for v in (vs if isinstance(vs, list) else [vs])]
        raw_path, _, raw_query = path.partition("?")
        query = "&".join(filter(None, [raw_query, urlencode([(k, str(v)) for k, v in pairs])]))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": unquote(raw_path),
            "raw_path": raw_path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
            "client": ("127.0.0.1", 5000),
            "server": ("testserver", 80),
        }
        sent: list[dict] = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)

        # A thread of its own: Playwright's sync API leaves an event loop running in the main
        # thread for the rest of the session, and asyncio.run refuses to start inside it.
        with ThreadPoolExecutor(max_workers=1) as worker:
            worker.submit(asyncio.run, self.app(scope, receive, send)).result()
        start = next(m for m in sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return Answer(start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}, body)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def head(self, path, **kwargs):
        return self.request("HEAD", path, **kwargs)

    def options(self, path, **kwargs):
        return self.request("OPTIONS", path, **kwargs)


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def env(built_db: Path, tmp_path_factory):
    """The app's database and an empty user-data folder of its own, as the server would see them."""
    user_dir = tmp_path_factory.mktemp("api-userdata")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ATLAS_DB_PATH", str(built_db))
        mp.setenv("ATLAS_USER_DATA_DIR", str(user_dir))
        mp.delenv(api_module.ALLOW_ORIGIN_ENV, raising=False)
        yield user_dir


@pytest.fixture(scope="module")
def api(env) -> Api:
    return Api()


@pytest.fixture(scope="module")
def client(api) -> AsgiClient:
    return AsgiClient(Starlette(routes=routes(api)))


@pytest.fixture(scope="module")
def con(built_db):
    connection = connect_readonly(built_db)
    yield connection
    connection.close()


def _changed_scenario(api: Api, slug: str) -> dict[str, str]:
    """One parameter the chart depends on, moved off its default (URL form); {} for charts without any."""
    params = scenario.all_params()
    for name in api.chart_parameters(chart_def(slug)):
        param = params[name]
        if param.kind in ("float", "int") and param.max_value is not None and param.min_value is not None:
            value = param.min_value if param.default != param.min_value else param.max_value
            return {name: param.to_text(int(value) if param.kind == "int" else float(value))}
        if param.kind == "bool":
            return {name: param.to_text(not param.default)}
    return {}


def _error(response) -> dict:
    assert response.headers["content-type"].startswith("application/json")
    return response.json()["error"]


def _png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == PNG_MAGIC, "not a PNG"
    return struct.unpack(">II", body[16:24])


# ---------------------------------------------------------------- the server's entry point


def test_app_py_defines_the_asgi_app_streamlit_run_serves():
    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(Path(__file__).resolve().parent.parent / "app.py")
    assert found.is_asgi_app and found.import_string == "app:app"


def test_routes_cover_the_api_prefix(api):
    paths = [r.path for r in routes(api)]
    assert paths == ["/api/v1", "/api/v1/{rest:path}"]


# ---------------------------------------------------------------- chart list


def test_chart_list_names_every_registered_chart(client):
    response = client.get("/api/v1/charts")
    assert response.status_code == 200
    body = response.json()
    assert [c["slug"] for c in body["charts"]] == CHARTS
    params = scenario.all_params()
    for entry in body["charts"]:
        definition = chart_def(entry["slug"])
        assert entry["title"] == {lang: t(definition.title_key, lang) for lang in LANGS}
        assert entry["page"] == definition.page_id
        assert entry["formats"] == ["csv", "json", "svg", "png"]
        assert set(entry["parameters"]) <= set(params)
    by_slug = {c["slug"]: c for c in body["charts"]}
    assert "mkt_cagr" in by_slug["ai-server-market"]["parameters"]
    assert "icc_cagr" not in by_slug["ai-server-market"]["parameters"]
    # cyc_link drives the inference curve by the workload path: the switch brings the wl_* parameters in.
    assert "wl_mode" in by_slug["cycle-curves"]["parameters"]
    assert body["database"]["content_hash"] == response.headers["x-atlas-content-hash"]


# ---------------------------------------------------------------- every chart, every format, both languages


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("slug", CHARTS)
def test_chart_csv_is_the_pages_csv_for_the_same_scenario(client, api, con, slug, lang):
    changed = _changed_scenario(api, slug)
    response = client.get(f"/api/v1/charts/{slug}.csv", params={"lang": lang, **changed})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    values, problems = scenario.parse_values(changed)
    assert not problems
    page_spec = chart_def(slug).build(con, values, lang)
    assert response.content == page_csv_bytes(page_spec.data)
    frame = pd.read_csv(io.BytesIO(response.content))
    assert list(frame.columns) == [str(c) for c in page_spec.data.columns]
    assert len(frame) == len(page_spec.data) > 0


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("slug", CHARTS)
def test_chart_json_is_the_plotly_figure(client, con, slug, lang):
    response = client.get(f"/api/v1/charts/{slug}.json", params={"lang": lang})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    figure = pio.from_json(response.text)
    expected = chart_def(slug).build(con, scenario.defaults(), lang).figure
    assert len(figure.data) == len(expected.data) > 0
    assert figure.layout.title.text == expected.layout.title.text


def test_scenario_reaches_the_chart(client):
    baseline = client.get("/api/v1/charts/ai-server-market.csv", params={"lang": "en"})
    faster = client.get("/api/v1/charts/ai-server-market.csv", params={"lang": "en", "mkt_cagr": "25"})
    frame = pd.read_csv(io.BytesIO(faster.content))
    scenario_2030 = frame[(frame["Line code"] == "scenario") & (frame["Year"] == 2030)]["Value"].iloc[0]
    base_2030 = pd.read_csv(io.BytesIO(baseline.content))
    base_value = base_2030[(base_2030["Line code"] == "scenario") & (base_2030["Year"] == 2030)]["Value"].iloc[0]
    # USD 31.79 bn in 2025 (IDC) grown at 25% a year for 5 years, against 19%.
    assert scenario_2030 == pytest.approx(31.79 * 1.25**5, rel=1e-3)
    assert base_value == pytest.approx(31.79 * 1.19**5, rel=1e-3)


@pytest.mark.parametrize("slug", CHARTS)
def test_every_chart_as_a_small_png(client, slug):
    response = client.get(f"/api/v1/charts/{slug}.png", params={"lang": "en", "width": 400, "height": 300, "scale": 0.5})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    width, height = _png_size(response.content)
    # As wide as asked; as tall, or taller when the plot would get less than half the height (chart_layout).
    assert width == 200 and height >= 150


@pytest.mark.parametrize("slug", CHARTS)
def test_every_chart_as_svg(client, slug):
    response = client.get(f"/api/v1/charts/{slug}.svg", params={"lang": "zh"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.content.lstrip().startswith(b"<svg")


@pytest.mark.parametrize("lang", LANGS)
def test_images_carry_the_source_line(client, con, lang):
    spec = chart_def("ai-server-market").build(con, scenario.defaults(), lang)
    svg = client.get("/api/v1/charts/ai-server-market.svg", params={"lang": lang}).text
    source_start = full_source_text(spec.source_line, lang)[:12]
    assert source_start in svg.replace("&nbsp;", " ")
    png = client.get("/api/v1/charts/ai-server-market.png", params={"lang": lang, "mkt_cagr": "25"})
    values = {**scenario.defaults(), "mkt_cagr": 25.0}
    built = chart_def("ai-server-market").build(con, values, lang)
    subtitle = Api().picture_subtitle(chart_def("ai-server-market"), built, values, "", lang)
    picture = lay_out(built.figure, api_medium(), subtitle=subtitle)  # 1000 px wide, taller than 560 for its legend
    assert picture.height_px > 560
    assert _png_size(png.content) == (2000, 2 * picture.height_px)  # at the default scale 2
    assert png.headers["content-disposition"].endswith(f"compute-atlas_ai-server-market_{lang}.png")


# ---------------------------------------------------------------- figures, tables, sources


def test_figures_csv_unfiltered_is_the_figures_pages_download(client, con):
    response = client.get("/api/v1/figures.csv")
    assert response.status_code == 200
    assert response.content == page_csv_bytes(figures_export(figures_with_imports(con, "both")))


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"kind": "forecast"}, lambda rows: set(rows["kind"]) == {"forecast"}),
        ({"kind": "forecast,derived"}, lambda rows: set(rows["kind"]) == {"forecast", "derived"}),
        ({"origin": "supplementary"}, lambda rows: set(rows["origin"]) == {"supplementary"}),
        ({"metric": "ai_server_workload_share"}, lambda rows: set(rows["metric"]) == {"ai_server_workload_share"}),
        ({"source": "idc_workload"}, lambda rows: set(rows["source_id"]) == {"idc_workload"}),
        ({"year": "2026"}, lambda rows: all(2026 in period_years(str(p)) for p in rows["period"])),
        (
            {"year": ["2021", "2026"], "kind": "forecast"},
            lambda rows: all(period_years(str(p)) & {2021, 2026} for p in rows["period"]),
        ),
        ({"layer": "report"}, lambda rows: len(rows) > 0),
        ({"layer": "imported"}, lambda rows: len(rows) == 0),
    ],
)
def test_figures_filters(client, params, check):
    response = client.get("/api/v1/figures.json", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    rows = pd.DataFrame(body["rows"], columns=list(figures_export(pd.DataFrame(columns=_figure_columns())).columns))
    assert body["count"] == len(rows)
    assert check(rows)
    everything = client.get("/api/v1/figures.json").json()
    if params.get("layer") != "report":
        assert body["count"] < everything["count"]


def _figure_columns() -> list[str]:
    return [
        "figure_id", "metric", "entity", "segment", "period", "value", "value_low", "value_high",
        "unit", "qualifier", "printed", "kind", "source_id", "origin", "citation", "note",
    ]  # fmt: skip


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_every_table_in_every_format(client, con, fmt):
    for name in table_names(con):
        response = client.get(f"/api/v1/tables/{name}.{fmt}")
        assert response.status_code == 200, (name, response.text)
        expected_rows = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        if fmt == "csv":
            assert len(pd.read_csv(io.BytesIO(response.content))) == expected_rows, name
        elif fmt == "parquet":
            assert len(pd.read_parquet(io.BytesIO(response.content))) == expected_rows, name
        else:
            assert response.json()["count"] == expected_rows == len(response.json()["rows"]), name


def test_table_list_and_sources(client, con):
    listed = [entry["name"] for entry in client.get("/api/v1/tables").json()["tables"]]
    assert listed == table_names(con) and "figures" in listed
    sources = client.get("/api/v1/sources.json").json()
    assert sources["count"] == con.execute("SELECT count(*) FROM sources").fetchone()[0]
    assert {"source_id", "producer_zh", "producer_en", "origin"} <= set(sources["rows"][0])


# ---------------------------------------------------------------- saved scenarios


def test_saved_scenario_by_name(client, env):
    ScenarioStore(env).save("牛市 bull case", {"mkt_cagr": 30.0})
    listing = client.get("/api/v1/scenarios").json()["scenarios"]
    assert [s["name"] for s in listing] == ["baseline", "牛市 bull case"]
    one = client.get(f"/api/v1/scenarios/{quote('牛市 bull case')}")
    assert one.status_code == 200
    assert one.json()["values"]["mkt_cagr"] == 30.0 and one.json()["changed"] == {"mkt_cagr": 30.0}
    by_name = client.get("/api/v1/charts/ai-server-market.csv", params={"scenario": "牛市 bull case", "lang": "en"})
    by_value = client.get("/api/v1/charts/ai-server-market.csv", params={"mkt_cagr": "30", "lang": "en"})
    assert by_name.status_code == 200 and by_name.content == by_value.content
    # URL values go on top of the saved scenario.
    on_top = client.get(
        "/api/v1/charts/ai-server-market.csv", params={"scenario": "牛市 bull case", "mkt_cagr": "19", "lang": "en"}
    )
    assert on_top.content == client.get("/api/v1/charts/ai-server-market.csv", params={"lang": "en"}).content


def test_another_users_private_scenario_is_not_served(client, env):
    """With sign-in, a scenario saved unshared is its owner's: the API (anonymous, read-only) neither lists nor serves it."""
    store = ScenarioStore(env)
    owner = Identity(SIGNED_IN, "alice@x.org")
    store.save("alice-private", {"mkt_cagr": 30.0}, actor=owner, shared=False)
    store.save("alice-shared", {"mkt_cagr": 31.0}, actor=owner, shared=True)
    try:
        listed = [s["name"] for s in client.get("/api/v1/scenarios").json()["scenarios"]]
        assert "alice-shared" in listed and "alice-private" not in listed
        assert client.get(f"/api/v1/scenarios/{quote('alice-shared')}").status_code == 200
        one = client.get(f"/api/v1/scenarios/{quote('alice-private')}")
        assert one.status_code == 404 and "alice-private" not in _error(one).get("allowed", [])
        chart = client.get("/api/v1/charts/ai-server-market.csv", params={"scenario": "alice-private", "lang": "en"})
        assert chart.status_code == 404 and _error(chart)["code"] == "unknown_scenario"
    finally:
        store.delete("alice-private")
        store.delete("alice-shared")


def test_unreadable_scenario_store_is_a_503_not_a_traceback(client, env, tmp_path, monkeypatch):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "scenarios.json").write_text("{not json", encoding="utf-8")
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(broken))
    response = client.get("/api/v1/charts/ai-server-market.csv", params={"scenario": "x", "lang": "en"})
    assert response.status_code == 503
    assert _error(response)["code"] == "store_unreadable"


# ---------------------------------------------------------------- bad requests


BAD_REQUESTS = [
    ("/api/v1/charts/no-such-chart.csv", {}, 404, "unknown_chart", "slug"),
    ("/api/v1/charts/ai-server-market.xlsx", {}, 404, "unknown_format", "format"),
    ("/api/v1/charts/ai-server-market", {}, 404, "unknown_format", "format"),
    ("/api/v1/charts/ai-server-market.csv", {"mkt_cagr": "999"}, 400, "bad_value", "mkt_cagr"),
    ("/api/v1/charts/ai-server-market.csv", {"mkt_cagr": "fast"}, 400, "bad_value", "mkt_cagr"),
    ("/api/v1/charts/ai-server-market.csv", {"mkt_cgr": "25"}, 400, "unknown_parameter", "mkt_cgr"),
    ("/api/v1/charts/ai-server-market.csv", {"lang": "fr"}, 400, "bad_value", "lang"),
    ("/api/v1/charts/ai-server-market.csv", {"scenario": "nobody saved this"}, 404, "unknown_scenario", "scenario"),
    ("/api/v1/charts/workload-outlook.csv", {"wl_mode": "magic"}, 400, "bad_value", "wl_mode"),
    ("/api/v1/charts/regions-map.csv", {"reg_hubs": "maybe"}, 400, "bad_value", "reg_hubs"),
    ("/api/v1/charts/ai-server-market.png", {"width": "99999"}, 400, "bad_value", "width"),
    ("/api/v1/charts/ai-server-market.png", {"height": "10"}, 400, "bad_value", "height"),
    ("/api/v1/charts/ai-server-market.png", {"scale": "50"}, 400, "bad_value", "scale"),
    ("/api/v1/charts/ai-server-market.png", {"width": "wide"}, 400, "bad_value", "width"),
    ("/api/v1/charts/ai-server-market.svg", {"scale": "2"}, 400, "unknown_parameter", "scale"),
    ("/api/v1/charts/ai-server-market.csv", {"width": "400"}, 400, "unknown_parameter", "width"),
    ("/api/v1/figures.csv", {"kind": "rumour"}, 400, "bad_value", "kind"),
    ("/api/v1/figures.csv", {"metric": "no_such_metric"}, 400, "bad_value", "metric"),
    ("/api/v1/figures.csv", {"source": "no_such_source"}, 400, "bad_value", "source"),
    ("/api/v1/figures.csv", {"origin": "hearsay"}, 400, "bad_value", "origin"),
    ("/api/v1/figures.csv", {"layer": "all"}, 400, "bad_value", "layer"),
    ("/api/v1/figures.csv", {"year": "twenty"}, 400, "bad_value", "year"),
    ("/api/v1/figures.csv", {"sort": "value"}, 400, "unknown_parameter", "sort"),
    ("/api/v1/figures.xlsx", {}, 404, "unknown_format", "format"),
    ("/api/v1/tables/no_such_table.csv", {}, 404, "unknown_table", "name"),
    ("/api/v1/tables/figures.xlsx", {}, 404, "unknown_format", "format"),
    ("/api/v1/scenarios/nobody", {}, 404, "unknown_scenario", "name"),
    ("/api/v1/nothing-here", {}, 404, "not_found", "path"),
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("path", "params", "status", "code", "parameter"), BAD_REQUESTS)
def test_bad_request_gets_its_4xx_and_a_message_naming_the_parameter(client, path, params, status, code, parameter, lang):
    query = {**params, "lang": params.get("lang", lang)}
    response = client.get(path, params=query)
    assert response.status_code == status, response.text
    error = _error(response)
    assert error["code"] == code and error["parameter"] == parameter
    assert error["allowed"], "the error lists what would be accepted"
    message_lang = lang if query["lang"] in LANGS else "zh"
    has_cjk = any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])
    assert has_cjk == (message_lang == "zh"), error["message"]
    if code in ("bad_value", "unknown_parameter"):
        assert parameter in error["message"]


def test_every_choice_answers_without_a_server_error(api):
    """Valid values that do not compute together (a chip whose peak is unknown) get a 422 with the reason.

    Every non-default choice of every chart's parameters, on one chart per page (charts of a page share them).
    """
    params = scenario.all_params()
    seen_pages: set[str] = set()
    refused = []
    for definition in chart_defs():
        if definition.page_id in seen_pages:
            continue
        seen_pages.add(definition.page_id)
        for name in api.chart_parameters(definition):
            param = params[name]
            for choice in [c for c in param.choices if c != param.default]:
                answer = api.handle("GET", f"/api/v1/charts/{definition.slug}.csv", [(name, choice), ("lang", "zh")], {})
                assert answer.status in (200, 422), (definition.slug, name, choice, answer.status)
                if answer.status == 422:
                    error = json.loads(answer.body)["error"]
                    assert error["code"] == "cannot_compute" and error["parameter"] == name, error
                    refused.append(choice)
    # Moffett S30's dense FP16 peak is not in the catalogue (datasets/accelerators.csv leaves it empty).
    assert "moffett_s30" in refused
    answer = api.handle("GET", "/api/v1/charts/compute-tornado.csv", [("cmp_chip", "moffett_s30"), ("lang", "zh")], {})
    assert "墨芯" in json.loads(answer.body)["error"]["message"]


def test_bad_value_lists_the_range_and_the_choices(client):
    error = _error(client.get("/api/v1/charts/ai-server-market.csv", params={"mkt_cagr": "999", "lang": "en"}))
    param = scenario.all_params()["mkt_cagr"]
    assert error["allowed"]["min"] == param.min_value and error["allowed"]["max"] == param.max_value
    assert f"{param.max_value:g}" in error["message"]
    choice = _error(client.get("/api/v1/charts/workload-outlook.csv", params={"wl_mode": "magic", "lang": "en"}))
    assert choice["allowed"] == list(scenario.all_params()["wl_mode"].choices)


def test_bad_lang_answers_in_the_clients_language(client):
    response = client.get("/api/v1/charts/ai-server-market.csv", params={"lang": "fr"}, headers={"Accept-Language": "en-GB,en"})
    assert response.status_code == 400 and "lang=fr" in _error(response)["message"]
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in _error(response)["message"])


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_no_write_endpoint(client, method):
    response = client.request(method, "/api/v1/charts/ai-server-market.csv")
    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    "path",
    ["/api/v1/charts/../tables/figures.csv", "/api/v1/charts/a/b.csv", "/api/v1/tables/figures.csv/x", "/api/v1/charts/%00.csv",
     "/api/v1/tables/\"figures\".csv", "/api/v1/scenarios/a/b", "/api/v1/charts/.csv"],
)  # fmt: skip
def test_odd_paths_never_get_a_server_error(client, path):
    response = client.get(path)
    assert 400 <= response.status_code < 500, (path, response.status_code)


def test_images_unavailable_is_a_503_with_the_reason(env):
    no_browser = Api(renderer_factory=lambda: images.ImageRenderer(None))
    answer = no_browser.handle("GET", "/api/v1/charts/ai-server-market.png", [("lang", "en")], {})
    assert answer.status == 503
    assert json.loads(answer.body)["error"]["code"] == "images_unavailable"
    csv = no_browser.handle("GET", "/api/v1/charts/ai-server-market.csv", [("lang", "en")], {})
    assert csv.status == 200


# ---------------------------------------------------------------- ETag, HEAD, CORS, cache


def test_etag_and_304(client):
    first = client.get("/api/v1/charts/ai-server-market.csv", params={"lang": "en", "mkt_cagr": "25"})
    etag = first.headers["etag"]
    assert etag.startswith('"') and first.headers["x-atlas-built-at"]
    again = client.get(
        "/api/v1/charts/ai-server-market.csv", params={"lang": "en", "mkt_cagr": "25"}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    weak = client.get(
        "/api/v1/charts/ai-server-market.csv",
        params={"lang": "en", "mkt_cagr": "25"},
        headers={"If-None-Match": f'"x", W/{etag}'},
    )
    assert weak.status_code == 304
    other = client.get(
        "/api/v1/charts/ai-server-market.csv", params={"lang": "en", "mkt_cagr": "26"}, headers={"If-None-Match": etag}
    )
    assert other.status_code == 200 and other.headers["etag"] != etag
    other_lang = client.get("/api/v1/charts/ai-server-market.csv", params={"lang": "zh", "mkt_cagr": "25"})
    assert other_lang.headers["etag"] != etag
    for path in (
        "/api/v1/charts",
        "/api/v1/figures.csv",
        "/api/v1/tables/figures.parquet",
        "/api/v1/sources.json",
        "/api/v1/scenarios",
    ):
        tag = client.get(path).headers["etag"]
        assert client.get(path, headers={"If-None-Match": tag}).status_code == 304, path


def test_etag_follows_the_database_content_hash(env, monkeypatch):
    api = Api()
    before = api.handle("GET", "/api/v1/figures.csv", [], {}).headers["ETag"]
    monkeypatch.setattr(api.database(), "content_hash", "a-different-build")
    after = api.handle("GET", "/api/v1/figures.csv", [], {"If-None-Match": before})
    assert after.status == 200 and after.headers["ETag"] != before
    assert after.headers["X-Atlas-Content-Hash"] == "a-different-build"


def test_head_has_the_headers_and_no_body(client):
    response = client.head("/api/v1/charts/ai-server-market.csv", params={"lang": "en"})
    assert response.status_code == 200 and response.content == b""
    assert response.headers["etag"] and response.headers["content-type"].startswith("text/csv")


def test_cors_is_off_by_default_and_one_setting_allows_an_origin(env, client, monkeypatch):
    assert "access-control-allow-origin" not in client.get("/api/v1/sources.json").headers
    monkeypatch.setenv(api_module.ALLOW_ORIGIN_ENV, "https://wiki.example.org")
    allowed = AsgiClient(Starlette(routes=routes(Api())))
    response = allowed.get("/api/v1/sources.json", headers={"Origin": "https://wiki.example.org"})
    assert response.headers["access-control-allow-origin"] == "https://wiki.example.org"
    preflight = allowed.options(
        "/api/v1/charts", headers={"Origin": "https://wiki.example.org", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 204 and "If-None-Match" in preflight.headers["access-control-allow-headers"]


class CountingRenderer:
    """Stands in for kaleido: counts renders, each held a moment so that racing requests pile up behind it."""

    def __init__(self, requests: int):
        self.calls = 0
        self._lock = threading.Lock()
        self.all_waiting = threading.Barrier(requests, timeout=30)

    def render(self, fig, **options) -> bytes:
        with self._lock:
            self.calls += 1
        threading.Event().wait(0.3)  # without the per-image lock every racing request would render too
        return PNG_MAGIC + b"fake"


def test_a_burst_of_identical_image_requests_renders_once(env):
    requests = 6
    renderer = CountingRenderer(requests)
    burst = Api(renderer_factory=lambda: renderer)
    answers = []

    def fetch():
        renderer.all_waiting.wait()  # start together, so they race for the same missing image
        answers.append(burst.handle("GET", "/api/v1/charts/workload-split.png", [("lang", "en")], {}))

    threads = [threading.Thread(target=fetch) for _ in range(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [a.status for a in answers] == [200] * requests
    assert renderer.calls == 1
    burst.handle("GET", "/api/v1/charts/workload-split.png", [("lang", "en"), ("width", "800")], {})
    assert renderer.calls == 2  # another size is another image


def test_image_cache_is_bounded():
    cache = api_module.LruCache(3)
    for key in range(10):
        cache.get_or_make(key, lambda key=key: key * 2)
    assert len(cache) == 3
    made = []
    assert cache.get_or_make(9, lambda: made.append(1)) == 18 and made == []


# ---------------------------------------------------------------- links for the share panel


def test_share_links():
    values = {**scenario.defaults(), "mkt_cagr": 25.0}
    url = chart_url("http://localhost:8501", "ai-server-market", "csv", "en", values)
    assert url == "http://localhost:8501/api/v1/charts/ai-server-market.csv?lang=en&mkt_cagr=25"
    assert chart_url("", "workload-split", "png", "zh", scenario.defaults()) == "/api/v1/charts/workload-split.png?lang=zh"
    snippet = embed_snippet(url.replace(".csv", ".png"), 'Market "size" <2025>')
    assert snippet.startswith('<img src="http://localhost:8501/api/v1/charts/ai-server-market.png?lang=en&amp;mkt_cagr=25"')
    assert 'alt="Market &quot;size&quot; &lt;2025&gt;"' in snippet
    assert base_url("https://atlas.example.org:8443/market?lang=en", "") == "https://atlas.example.org:8443"
    assert base_url("http://host/atlas/market", "/atlas/") == "http://host/atlas"
    assert base_url("", "") == ""


def test_readme_documents_the_api_and_every_chart():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "/api/v1/charts/ai-server-market.csv" in readme
    missing = [slug for slug in CHARTS if f"`{slug}`" not in readme]
    assert missing == [], "charts missing from the README's API section"
    assert api_module.ALLOW_ORIGIN_ENV in readme


# ---------------------------------------------------------------- the share panel in the app (AppTest)


@pytest.mark.parametrize("lang", LANGS)
def test_share_panel_under_a_chart_gives_the_live_links_of_its_scenario(built_db, tmp_path, lang):
    from conftest import PROJECT_ROOT, isolated_app
    from streamlit.testing.v1 import AppTest

    with isolated_app(built_db, tmp_path / "userdata"):
        at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
        at.query_params["lang"] = lang
        at.query_params["mkt_cagr"] = "25"
        at.switch_page("pages/market.py")
        at.run()
        assert not at.exception
        codes = [c.value for c in at.code]
    # AppTest has no browser address, so the links are relative to the server's root.
    csv_link = f"/api/v1/charts/ai-server-market.csv?lang={lang}&mkt_cagr=25"
    assert csv_link in codes
    assert csv_link.replace(".csv?", ".png?") in codes
    assert any(c.startswith('<img src="/api/v1/charts/ai-server-market.png?') for c in codes)
    # The comparison chart of saved scenarios is not a registered chart: no live link for it.
    assert all("compare-" not in c for c in codes)


def test_a_bug_in_an_endpoint_is_logged_and_answered_without_a_traceback(env, monkeypatch, caplog):
    broken = Api()

    def fail(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(broken, "handle", fail)
    response = AsgiClient(Starlette(routes=routes(broken))).get("/api/v1/charts")
    assert response.status_code == 500 and _error(response)["code"] == "internal"
    assert "secret detail" not in response.text and "Traceback" not in response.text
    assert "secret detail" in caplog.text


def test_api_keeps_the_apps_shared_connection_open(api, client, env):
    """The API and the app's frame share one connection per build: a second key for the same file used to
    close the frame's connection ("Connection already closed!" on every page after the first API call)."""
    from analysis.db import ensure_database, query, shared_connection

    status = ensure_database()
    app_con = shared_connection(status.path, status.cache_key)  # what ui.frame opens
    assert client.get("/api/v1/charts/ai-server-market.csv", params={"lang": "en"}).status_code == 200
    assert len(query(app_con, "SELECT 1 AS one")) == 1
    assert api.connection() is app_con


def test_the_frame_and_the_api_share_one_connection(api, client, env):
    """What ui.frame really opens (its cached status and connection), not a copy of its key: one connection
    for the pages and the API, still open after API requests on either side."""
    import streamlit as st

    from analysis.db import query
    from ui import frame as ui_frame

    try:
        frame_con = ui_frame.connection(ui_frame.database_status())
        assert client.get("/api/v1/charts/ai-server-market.csv", params={"lang": "en"}).status_code == 200
        assert api.connection() is frame_con
        assert ui_frame.connection(ui_frame.database_status()) is frame_con
        assert len(query(frame_con, "SELECT 1 AS one")) == 1
    finally:
        st.cache_resource.clear()
