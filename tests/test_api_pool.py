"""The API under load (issue 28, finding 10): handlers run in small bounded pools, never on the event loop;
beyond a pool's queue a request gets 503 with Retry-After at once, and the other pool still answers.

A fake renderer that waits for the test stands in for kaleido, so "in flight" is a state the test controls,
not a duration it measures.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from starlette.applications import Starlette
from test_api import PNG_MAGIC, AsgiClient

from analysis import api as api_module
from analysis.api import Api
from analysis.i18n import LANGS, catalog
from analysis.workpool import BoundedPool
from ui import http_api
from ui.http_api import routes

WAIT_S = 60  # how long the test waits for a state it expects; never asserted as a duration


@pytest.fixture(scope="module")
def env(built_db: Path, tmp_path_factory):
    user_dir = tmp_path_factory.mktemp("api-pool-userdata")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ATLAS_DB_PATH", str(built_db))
        mp.setenv("ATLAS_USER_DATA_DIR", str(user_dir))
        mp.delenv(api_module.ALLOW_ORIGIN_ENV, raising=False)
        yield user_dir


class HeldRenderer:
    """Renders only when the test lets it: every call waits for `release`."""

    def __init__(self):
        self.calls = 0
        self.started = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()

    def render(self, fig, **options) -> bytes:
        with self._lock:
            self.calls += 1
        self.started.set()
        self.release.wait(WAIT_S)
        return PNG_MAGIC + b"fake"


def wait_until(condition) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the expected state was not reached")
        time.sleep(0.01)


def test_the_pool_refuses_beyond_its_queue_and_gives_places_back():
    pool = BoundedPool(1, 1, "test-pool")
    gate = threading.Event()
    running, waiting = pool.submit(gate.wait, WAIT_S), pool.submit(gate.wait, WAIT_S)
    assert running is not None and waiting is not None and pool.taken == 2
    assert pool.submit(gate.wait, WAIT_S) is None, "a third job is refused, not queued"
    gate.set()
    assert running.result(WAIT_S) and waiting.result(WAIT_S)
    wait_until(lambda: pool.taken == 0)
    assert pool.submit(lambda: 42).result(WAIT_S) == 42


def test_with_the_picture_pool_full_the_next_picture_is_503_and_data_still_answer(env):
    renderer = HeldRenderer()
    api = Api(renderer_factory=lambda: renderer)
    image_pool = BoundedPool(1, 1, "test-images")
    client = AsgiClient(Starlette(routes=routes(api, image_pool=image_pool, data_pool=BoundedPool(1, 4, "test-data"))))
    answers: list = []

    def fetch(width: int) -> None:
        params = {"lang": "en", "width": str(width)}
        answers.append(client.get("/api/v1/charts/workload-split.png", params=params))

    first = threading.Thread(target=fetch, args=(800,))
    first.start()
    assert renderer.started.wait(WAIT_S), "the first picture is being drawn"
    second = threading.Thread(target=fetch, args=(900,))
    second.start()
    wait_until(lambda: image_pool.taken == 2)  # one drawing, one waiting: the pool and its queue are full
    try:
        refused = client.get("/api/v1/charts/workload-split.png", params={"lang": "zh", "width": "1000"})
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == str(http_api.RETRY_AFTER_SECONDS)
        assert refused.headers["content-type"].startswith("application/json")
        error = refused.json()["error"]
        assert error["code"] == "busy" and error["message"] == catalog("zh")["api.error.busy"].format(seconds=5)
        assert renderer.calls == 1, "the refused request never reached the renderer"
        # While pictures are in flight, a data request is answered: it has a pool of its own.
        listing = client.get("/api/v1/charts", params={"lang": "en"})
        assert listing.status_code == 200 and listing.json()["charts"]
    finally:
        renderer.release.set()
        first.join(WAIT_S)
        second.join(WAIT_S)
    assert [a.status_code for a in answers] == [200, 200]
    wait_until(lambda: image_pool.taken == 0)
    again = client.get("/api/v1/charts/workload-split.png", params={"lang": "en", "width": "1000"})
    assert again.status_code == 200 and again.content.startswith(PNG_MAGIC)


def test_handlers_run_in_the_pools_threads_not_on_the_event_loop(env, monkeypatch):
    api = Api()
    seen: list[str] = []
    real = api.handle

    def handle(*args, **kwargs):
        seen.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "handle", handle)
    client = AsgiClient(Starlette(routes=routes(api)))
    assert client.get("/api/v1/sources.json").status_code == 200
    assert client.get("/api/v1/tables").status_code == 200
    assert seen and all(name.startswith("api-data") for name in seen), seen


def test_the_busy_message_is_in_both_languages():
    for lang in LANGS:
        assert "{seconds}" in catalog(lang)["api.error.busy"]


def test_a_refusal_is_readable_by_the_allowed_origin(monkeypatch):
    monkeypatch.setenv(api_module.ALLOW_ORIGIN_ENV, "https://wiki.example.org")
    assert http_api.ALLOW_ORIGIN_ENV == api_module.ALLOW_ORIGIN_ENV
    gate = threading.Event()
    full = BoundedPool(1, 0, "test-full")
    full.submit(gate.wait, WAIT_S)
    client = AsgiClient(Starlette(routes=routes(Api(), image_pool=full)))
    try:
        refused = client.get("/api/v1/charts/workload-split.svg", headers={"Origin": "https://wiki.example.org"})
    finally:
        gate.set()
    assert refused.status_code == 503 and refused.json()["error"]["code"] == "busy"
    assert refused.headers["access-control-allow-origin"] == "https://wiki.example.org"
    assert "Retry-After" in refused.headers["access-control-expose-headers"]
