"""The API's numbers and details (issue 28, findings 14 and 16), through the routes the server mounts:
query numbers read by analysis.numbers, -0 and 0 as one request, a saved scenario refused today answered
with a 422, the 405's Allow header, `If-None-Match: *` on a refused request, and Streamlit's plain-text 400
for `%00` and `..%2F` replaced by the API's JSON error."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from streamlit.web.server.starlette.starlette_path_security_middleware import PathSecurityMiddleware
from test_api import AsgiClient

from analysis import api as api_module
from analysis.api import Api
from analysis.i18n import t
from analysis.userstore import STORE_FORMAT
from ui.http_api import ApiPathGuard, routes

CHART = "/api/v1/charts/ai-server-market"


@pytest.fixture(scope="module")
def env(built_db: Path, tmp_path_factory):
    user_dir = tmp_path_factory.mktemp("api-numbers-userdata")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ATLAS_DB_PATH", str(built_db))
        mp.setenv("ATLAS_USER_DATA_DIR", str(user_dir))
        mp.delenv(api_module.ALLOW_ORIGIN_ENV, raising=False)
        yield user_dir


@pytest.fixture
def client(env) -> AsgiClient:
    """A fresh Api per test, so nothing one test asked for is cached for the next."""
    return AsgiClient(Starlette(routes=routes(Api())))


def _error(response) -> dict:
    assert response.headers["content-type"].startswith("application/json"), response.content[:200]
    return response.json()["error"]


@pytest.mark.parametrize("width", ["１０００", "1_000", " 1000", "1000 ", "1e-400", "9" * 5000, "²"])
def test_image_size_takes_ascii_numbers_only(client, width):
    response = client.get(f"{CHART}.svg", params={"lang": "en", "width": width})
    assert response.status_code == 400
    assert (_error(response)["code"], _error(response)["parameter"]) == ("bad_value", "width")


def test_image_size_still_takes_plain_numbers(client):
    response = client.get(f"{CHART}.svg", params={"lang": "en", "width": "1000", "height": "600.0"})
    assert response.status_code == 200


@pytest.mark.parametrize("year", ["²", "9" * 5000, "２０２３", "٢٠٢٣", "20_23", "123"])
def test_a_year_that_is_not_four_ascii_digits_is_a_400_not_a_500(client, year):
    response = client.get("/api/v1/figures.json", params={"lang": "en", "year": year})
    assert response.status_code == 400
    assert _error(response)["parameter"] == "year" and "Traceback" not in response.text


@pytest.mark.parametrize("order", [("-0", "0"), ("0", "-0")])
def test_negative_zero_and_zero_are_one_request_whatever_was_asked_first(client, order):
    answers = [client.get(f"{CHART}.csv", params={"lang": "en", "mkt_cagr": zero, "mkt_spread": zero}) for zero in order]
    assert [a.status_code for a in answers] == [200, 200], [a.text[:300] for a in answers]
    assert answers[0].content == answers[1].content
    assert answers[0].headers["etag"] == answers[1].headers["etag"]


def test_a_405_names_the_allowed_methods(client):
    response = client.request("POST", f"{CHART}.csv")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert _error(response)["code"] == "method_not_allowed"


def test_if_none_match_star_does_not_answer_304_for_a_refused_request(client):
    refused = client.get("/api/v1/figures.json", params={"metric": "no_such_metric"}, headers={"If-None-Match": "*"})
    assert refused.status_code == 400 and _error(refused)["parameter"] == "metric"
    sound = client.get("/api/v1/figures.json", params={"metric": "ai_server_market_size"}, headers={"If-None-Match": "*"})
    assert sound.status_code == 304 and sound.content == b""


def _bad_store(folder: Path) -> None:
    body = {
        "format": STORE_FORMAT,
        "version": 1,
        "scenarios": {"Bull": {"values": {"mkt_cagr": 500.0}, "saved_at": "2026-11-01T00:00:00+00:00"}},
    }
    (folder / "scenarios.json").write_text(json.dumps(body), encoding="utf-8")


@pytest.mark.parametrize(("path", "params", "parameter"), [(f"{CHART}.csv", {"scenario": "Bull"}, "scenario"),
                                                          ("/api/v1/scenarios/Bull", {}, "name")])  # fmt: skip
def test_a_saved_scenario_refused_today_is_a_422_naming_its_values(client, env, path, params, parameter):
    _bad_store(env)
    try:
        response = client.get(path, params={"lang": "en", **params})
    finally:
        (env / "scenarios.json").unlink()
    assert response.status_code == 422
    error = _error(response)
    assert (error["code"], error["parameter"]) == ("stored_scenario_invalid", parameter)
    assert "mkt_cagr" in error["message"] and error["allowed"]["mkt_cagr"]["max"] == 80


def _served_app(api: Api) -> Starlette:
    """The API's routes behind the app's own middleware (app.py) and then Streamlit's path check, in the order
    st.App stacks them (its user middleware runs first)."""
    spec = importlib.util.spec_from_file_location("app_for_api_numbers", Path(__file__).resolve().parent.parent / "app.py")
    app_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app_module)
    user_middleware = app_module.app._user_middleware  # st.App keeps the list it was given
    assert user_middleware[0].cls is ApiPathGuard
    return Starlette(routes=routes(api), middleware=[*user_middleware, Middleware(PathSecurityMiddleware)])


@pytest.mark.parametrize(
    "path", ["/api/v1/charts/%00.csv", "/api/v1/charts/..%2Ftables%2Ffigures.csv", "/api/v1/%00", "/%2Fapi/v1/charts"]
)
def test_a_path_streamlit_refuses_gets_the_apis_json_400(env, path):
    client = AsgiClient(_served_app(Api()))
    response = client.get(path, params={"lang": "zh"})
    assert response.status_code == 400
    error = _error(response)
    assert (error["code"], error["message"]) == ("bad_path", t("api.error.bad_path", "zh"))


def test_other_paths_still_reach_streamlits_check_and_the_api(env):
    client = AsgiClient(_served_app(Api()))
    assert client.get("/%00").content == b"Bad Request"  # not the API's: Streamlit's answer, unchanged
    assert client.get(f"{CHART}.csv", params={"lang": "en"}).status_code == 200
