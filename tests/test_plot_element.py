"""The chart element (ui/plot_element.py): plotly.js served by the app itself, and the figure it is sent.

The browser side (drawn in place, offline, zoom kept, clicks, hover, dark theme) is tests/browser/test_plot_element.py.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pandas as pd
import plotly
import plotly.graph_objects as go
import pytest
from chart_elements import chart_nodes, chart_payload
from conftest import PROJECT_ROOT, isolated_app
from plotly.offline import get_plotlyjs_version
from starlette.applications import Starlette
from starlette.testclient import TestClient
from streamlit.testing.v1 import AppTest

from analysis.sitemap import PAGES_BY_ID
from ui.http_api import PLOTLY_JS_CACHE, plotly_js_route, plotly_js_url
from ui.plot_element import figure_json

INSTALLED_PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@pytest.fixture(scope="module")
def client():
    return TestClient(Starlette(routes=[plotly_js_route()]))


def test_plotly_js_is_served_gzipped_with_its_version_in_the_address_and_a_long_cache(client):
    url = plotly_js_url()
    assert get_plotlyjs_version() in url and url.startswith("/") and "//" not in url  # this server, never a CDN
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["cache-control"] == PLOTLY_JS_CACHE == "public, max-age=31536000, immutable"
    assert response.headers["content-type"].startswith("text/javascript")
    assert int(response.headers["content-length"]) < INSTALLED_PLOTLY_JS.stat().st_size / 2  # compressed on the wire
    assert response.content == INSTALLED_PLOTLY_JS.read_bytes()  # the client undid the gzip: the installed file


def test_plotly_js_without_gzip_is_the_file_as_it_is(client):
    response = client.get(plotly_js_url(), headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert response.content == INSTALLED_PLOTLY_JS.read_bytes()


def test_another_version_is_not_served(client):
    assert client.get("/vendor/plotly-0.0.1.min.js").status_code == 404


def test_the_figure_sent_is_plain_json_without_a_template():
    # numpy arrays and timestamps in a figure: given to the element as they are, they would become a string.
    fig = go.Figure(
        go.Scatter(
            x=pd.to_datetime(["2023-01-01", "2024-01-01"]),
            y=np.array([1.5, np.nan]),
            customdata=np.array([["a", 1]], dtype=object),
        )
    )
    fig.update_layout(template="plotly_dark", meta={"title": "t"})
    plain = figure_json(fig)
    assert json.loads(json.dumps(plain, allow_nan=False)) == plain  # nothing numpy, nothing NaN left
    trace = plain["data"][0]
    # plotly's own encoding of a numeric array (a typed array in base64, which plotly.js reads), not a string
    assert trace["y"]["dtype"] == "f8"
    np.testing.assert_array_equal(np.frombuffer(base64.b64decode(trace["y"]["bdata"]), dtype="f8"), [1.5, np.nan])
    assert trace["x"][0].startswith("2023-01-01")
    assert trace["customdata"] == [["a", 1]]
    assert "template" not in plain["layout"] and plain["layout"]["meta"] == {"title": "t"}


@pytest.fixture(scope="module")
def isolated(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("plot-element")
    with isolated_app(work / "atlas.duckdb", work / "userdata"):
        yield


@pytest.mark.parametrize("page_id", ["market", "regions"])
def test_a_page_sends_its_charts_as_plain_json_to_the_element(isolated, page_id):
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
    at.query_params["lang"] = "zh"
    at.switch_page(PAGES_BY_ID[page_id].file)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    nodes = chart_nodes(at)
    assert nodes and not at.get("plotly_chart"), "every chart is the element, none st.plotly_chart"
    for node in nodes:
        payload = chart_payload(node)
        figure = payload["figure"]
        assert isinstance(figure["data"], list) and figure["data"], "the figure arrived as JSON, not as a string"
        assert "template" not in figure["layout"]
        assert payload["title"] and payload["title"] in payload["description"]  # the text alternative
        assert payload["title"] == figure["layout"].get("meta", {}).get("title", payload["title"])
        assert payload["config"]["showSendToCloud"] is False and payload["config"]["locale"] == "zh-CN"
        assert payload["src"] == plotly_js_url()
    if page_id == "regions":
        assert chart_payload(nodes[0])["selectable"], "the map sends its clicks back"
