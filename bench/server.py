"""Start and stop `streamlit run` for the benchmark, and read its memory (Linux /proc)."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The yardsticks, each served as its own app (paths relative to PROJECT_ROOT, where servers start).
TRIVIAL_SCRIPT = str(Path("bench") / "trivial_page.py")
FLOOR_SCRIPT = str(Path("bench") / "floor_page.py")
HEALTH_POLL_SECONDS = 0.05
SERVER_START_TIMEOUT_S = 120
STOP_TIMEOUT_S = 10
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def free_port(preferred: int | None = None) -> int:
    """`preferred` if it is free, else any free local port."""
    if preferred:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", preferred))
                return preferred
            except OSError:
                pass
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    script: str
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None
    started_at: float = 0.0  # time.perf_counter() at launch
    started_wall: float = 0.0  # time.time() at launch, to compare with the browser's clock
    ready_after_s: float | None = None
    _log: object = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        """Launch the server and return at once; `started_at` is the launch time (time.perf_counter)."""
        self._log = self.log_path.open("w")
        command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            self.script,
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ]
        self.started_at = time.perf_counter()
        self.started_wall = time.time()
        self.process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        return self

    def wait_healthy(self, timeout_s: float = SERVER_START_TIMEOUT_S) -> float:
        """Block until /_stcore/health answers 200; return seconds since launch."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        self.ready_after_s = time.perf_counter() - self.started_at
                        return self.ready_after_s
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"streamlit ({self.script}) did not start; log:\n{self.log_path.read_text()[-4000:]}")
            time.sleep(HEALTH_POLL_SECONDS)

    def rss_bytes(self) -> int | None:
        return None if self.process is None else tree_rss_bytes(self.process.pid)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


def _children(pid: int) -> list[int]:
    children: list[int] = []
    task_dir = Path(f"/proc/{pid}/task")
    for task in task_dir.glob("*") if task_dir.exists() else []:
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return children


def _rss_of(pid: int) -> int:
    # /proc/<pid>/statm: size resident shared ... in pages.
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss_bytes(pid: int) -> int | None:
    """Resident memory of `pid` and all its descendants (None where /proc is not available)."""
    if not Path(f"/proc/{pid}").exists():
        return None
    total, stack, seen = 0, [pid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        total += _rss_of(current)
        stack += _children(current)
    return total


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    cpu_model = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    import streamlit

    return {
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gb": memory_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "streamlit": streamlit.__version__,
        "load_average_at_start": load,
    }
