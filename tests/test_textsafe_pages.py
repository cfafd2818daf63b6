"""User text on the pages (AppTest): URL values echoed as text, tables handed to the data grid with their
formulas guarded, the shared store said out loud, and a saved scenario deleted only when the user confirms."""

from __future__ import annotations

import pytest
from conftest import PROJECT_ROOT, isolated_app
from streamlit.testing.v1 import AppTest

from analysis.i18n import t
from analysis.sitemap import PAGES_BY_ID

TIMEOUT = 120
PAYLOAD = "![i](http://198.51.100.7/u.png)[fix](http://198.51.100.7/x)"


@pytest.fixture(scope="module", autouse=True)
def isolated(tmp_path_factory):
    work = tmp_path_factory.mktemp("textsafe-apptest")
    with isolated_app(work / "atlas.duckdb", work / "userdata"):
        yield work / "userdata"


def open_page(page: str | None, lang: str = "en", **query) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    for key, value in query.items():
        at.query_params[key] = value
    if page:
        at.switch_page(page)
    return at.run()


def assert_no_markdown_from(text: str) -> None:
    assert "![" not in text and "](" not in text and "http://" not in text, text


# ---------------------------------------------------------------- Markdown in URL values (issue 28, medium 4)


@pytest.mark.parametrize(
    ("page_id", "key", "label_key"),
    [
        ("industry", "ind_node", "industry.node_label"),
        ("players", "ind_layer", "industry.filter.layer"),
        ("players", "ind_route", "industry.filter.route"),
    ],
)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_markdown_payload_in_an_industry_filter_is_echoed_as_text(page_id, key, label_key, lang):
    at = open_page(PAGES_BY_ID[page_id].file, lang, **{key: PAYLOAD})
    assert not at.exception
    warnings = [w.value for w in at.warning if t(label_key, lang) in w.value]
    assert len(warnings) == 1, [w.value for w in at.warning]
    assert_no_markdown_from(warnings[0])
    # What the reader sees is the value as the link carried it (its first 40 characters).
    assert PAYLOAD[:40] in warnings[0].replace("\\", "").replace("\u200b", "")
    assert key not in at.query_params
