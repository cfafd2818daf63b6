"""An unexpected exception on a page shows visitors a generic message: no traceback, no server path, no links
to ask a search engine (issue 28, finding 12). The server's own config is what a visitor gets; the test suite
sets "full" for itself (tests/conftest.py), so this test applies the file's values explicitly."""

from __future__ import annotations

import tomllib

import pytest
from conftest import PROJECT_ROOT
from streamlit import config
from streamlit.testing.v1 import AppTest

SERVER_CONFIG = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
SECRET = "/srv/compute-atlas/private/state.json"


@pytest.fixture
def server_error_details():
    """The config file's setting for the duration of one test, then the suite's "full" again."""
    before = config.get_option("client.showErrorDetails")
    config.set_option("client.showErrorDetails", SERVER_CONFIG["client"]["showErrorDetails"])
    yield
    config.set_option("client.showErrorDetails", before)


def test_an_uncaught_exception_shows_no_trace_path_or_type(server_error_details):
    at = AppTest.from_string(f"raise OSError('cannot read {SECRET}')").run()
    assert len(at.exception) == 1, "the test still sees that the page failed"
    shown = at.exception[0]
    assert SECRET not in shown.message and "OSError" not in shown.message
    assert shown.stack_trace == [] and shown.is_warning is False


def test_no_ask_google_or_chatgpt_links():
    # A frontend setting ("auto" shows them on localhost); the browser reads it from the server's config.
    assert SERVER_CONFIG["client"]["showErrorLinks"] is False


def test_the_suite_itself_still_sees_the_real_error():
    at = AppTest.from_string(f"raise OSError('cannot read {SECRET}')").run()
    assert SECRET in at.exception[0].message
