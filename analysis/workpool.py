"""A small thread pool that refuses work beyond its queue instead of queueing without end.

The HTTP API runs its handlers here, not on the server's event loop nor in Starlette's pool of 40 threads:
pictures in one pool, everything else in another, each with a few workers and a short queue. A burst of
requests then costs the server a bounded number of threads competing with the pages' scripts for the
interpreter (and a bounded number of pictures in memory), and a request beyond the queue is answered at
once with 503 and Retry-After (ui/http_api.py) rather than waiting behind the others.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class BoundedPool:
    """`workers` threads and at most `queue` waiting jobs; `submit` returns None when both are taken."""

    def __init__(self, workers: int, queue: int, name: str):
        if workers < 1 or queue < 0:
            raise ValueError(f"a pool needs at least one worker and a queue of 0 or more (got {workers}, {queue})")
        self.workers, self.queue = workers, queue
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._places = threading.BoundedSemaphore(workers + queue)
        self._lock = threading.Lock()
        self._taken = 0

    @property
    def taken(self) -> int:
        """Jobs running or waiting now."""
        with self._lock:
            return self._taken

    def submit(self, job: Callable[..., T], *args) -> Future[T] | None:
        """Run `job(*args)` in the pool, or return None at once when the pool and its queue are full."""
        if not self._places.acquire(blocking=False):
            return None
        with self._lock:
            self._taken += 1
        try:
            future = self._executor.submit(job, *args)
        except BaseException:
            self._give_back()
            raise
        future.add_done_callback(lambda _: self._give_back())
        return future

    def _give_back(self) -> None:
        with self._lock:
            self._taken -= 1
        self._places.release()
