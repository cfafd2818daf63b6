"""`python -m analysis export`: exit status, messages, files written, and the same pack as the app builds."""

from __future__ import annotations

import io
import json
import os
import socket
import stat
import subprocess
import sys
import zipfile

import pytest
from conftest import PROJECT_ROOT
from pptx import Presentation

from analysis import briefing, chartspec, images
from analysis import scenario as sc
from analysis.__main__ import main
from analysis.chartspec import chart_defs
from analysis.userstore import ScenarioStore


@pytest.fixture
def env(tmp_path, monkeypatch, built_db):
    monkeypatch.setenv("ATLAS_DB_PATH", str(built_db))
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(tmp_path / "userdata"))
    return tmp_path


def texts(slide) -> str:
    return "\n".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)


def test_export_writes_the_deck_and_zip_and_shows_progress(env, capsys):
    out, zip_path = env / "briefing.pptx", env / "briefing.zip"
    assert main(["export", "--lang", "en", "--out", str(out), "--zip", str(zip_path), "--images", "never"]) == 0
    captured = capsys.readouterr()
    assert captured.out.split() == [str(out), str(zip_path)]
    assert "] " in captured.err and f"{2 * len(chart_defs()) + 3}/{2 * len(chart_defs()) + 3} done" in captured.err
    deck = Presentation(str(out))
    assert len(deck.slides) == len(chart_defs()) + 3
    assert "Scenario: Baseline (report values)" in texts(deck.slides[0])
    assert zipfile.ZipFile(zip_path).read(briefing.SCENARIO_FILE)


def test_export_of_a_saved_scenario_and_chosen_charts(env, capsys, monkeypatch):
    monkeypatch.setattr(sc, "PARAM_MODULES", (*sc.PARAM_MODULES, "scenario_params_fixture"))
    monkeypatch.setattr(chartspec, "CHART_MODULES", (*chartspec.CHART_MODULES, "briefing_charts_fixture"))
    values = {**sc.defaults(), "t_growth": 42.0}
    ScenarioStore(env / "userdata").save("Fast", values)
    out, zip_path = env / "fast.pptx", env / "fast.zip"
    code = main(
        [
            "export",
            "--scenario",
            "Fast",
            "--lang",
            "zh",
            "--charts",
            "t-line, t-stacked",
            "--out",
            str(out),
            "--zip",
            str(zip_path),
        ]
    )
    assert code == 0, capsys.readouterr().err
    deck = Presentation(str(out))
    assert len(deck.slides) == 4
    assert "情景：Fast" in texts(deck.slides[0])
    assert "测试折线图：训练算力需求" in texts(deck.slides[1])
    name, reloaded, _ = briefing.read_scenario_file(zip_path.read_bytes())
    assert (name, reloaded) == ("Fast", values)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--scenario", "nope"], "no saved scenario 'nope'; saved scenarios: baseline"),
        (["--charts", "nope,workload-split"], "unknown chart(s): nope; available:"),
        (["--charts", ""], "choose at least one chart"),
        (["--out", "{tmp}/missing/briefing.pptx"], "the folder for"),
        (["--out", "{tmp}"], "is a folder"),
    ],
    ids=["unknown-scenario", "unknown-chart", "no-chart", "missing-folder", "out-is-folder"],
)
def test_bad_input_exits_2_with_a_message_and_writes_nothing(env, capsys, args, message):
    args = [a.replace("{tmp}", str(env)) for a in args]
    if "--out" not in args:
        args += ["--out", str(env / "x.pptx")]
    assert main(["export", *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert not (env / "x.pptx").exists()


def test_unknown_language_is_refused_by_the_parser(env, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["export", "--lang", "fr", "--out", str(env / "x.pptx")])
    assert caught.value.code == 2
    assert "invalid choice: 'fr'" in capsys.readouterr().err


def test_without_chromium_export_succeeds_and_warns_what_is_left_out(env, capsys, monkeypatch):
    monkeypatch.setattr(chartspec, "CHART_MODULES", (*chartspec.CHART_MODULES, "briefing_charts_fixture"))
    monkeypatch.setenv(images.BROWSER_ENV, str(env / "no-chromium"))
    out = env / "x.pptx"
    assert main(["export", "--lang", "en", "--charts", "t-map,t-column", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: t-map is not drawn in the deck" in err and "no-chromium" in err
    assert "Left out of this deck" in texts(Presentation(str(out)).slides[-1])


def test_the_command_line_runs_as_a_module(env):
    """The real entry point, as a scheduler would call it: status 0, the path on stdout, a bar on stderr."""
    out = env / "zh.pptx"
    environment = {**os.environ, "ATLAS_DB_PATH": os.environ["ATLAS_DB_PATH"], "ATLAS_USER_DATA_DIR": str(env / "userdata")}
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "export", "--lang", "zh", "--out", str(out), "--images", "never"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out)
    assert "[####" in result.stderr
    assert len(Presentation(io.BytesIO(out.read_bytes())).slides) == len(chart_defs()) + 3
    bad = subprocess.run(
        [sys.executable, "-m", "analysis", "export", "--scenario", "nope", "--out", str(env / "y.pptx")],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "no saved scenario 'nope'" in bad.stderr


def test_export_of_a_stored_scenario_with_refused_values_exits_2_with_a_message(env):
    """A scenario saved before today's checks (here a CAGR above the slider's 80%) is reported, not exported."""
    store_file = env / "userdata" / "scenarios.json"
    store_file.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "format": "compute-atlas-scenarios",
        "version": 1,
        "scenarios": {"Bull": {"values": {"mkt_cagr": 500.0}, "saved_at": "2026-11-01T00:00:00+00:00"}},
    }
    store_file.write_text(json.dumps(body), encoding="utf-8")
    out = env / "bull.pptx"
    environment = {**os.environ, "ATLAS_USER_DATA_DIR": str(env / "userdata")}
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "export", "--scenario", "Bull", "--out", str(out), "--images", "never"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "Bull" in result.stderr and "mkt_cagr" in result.stderr and "above the maximum 80" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


# ---------------------------------------------------------------- issue 28 (9): what --out may replace


def _special_target(kind: str, where):
    """A path of `kind` in `where`, and what it must still be after a refused export."""
    path = where / f"{kind}.pptx"
    if kind == "symlink":
        (where / "precious.txt").write_text("keep me", encoding="utf-8")
        path.symlink_to(where / "precious.txt")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        server.close()
    return path


@pytest.mark.parametrize(
    ("kind", "check", "message"),
    [
        ("symlink", stat.S_ISLNK, "is a symbolic link"),
        ("fifo", stat.S_ISFIFO, "is not a regular file"),
        ("socket", stat.S_ISSOCK, "is not a regular file"),
    ],
)
@pytest.mark.parametrize("option", ["--out", "--zip"])
def test_out_refuses_anything_but_a_regular_file_or_a_new_name(env, capsys, kind, check, message, option):
    target = _special_target(kind, env)
    args = ["export", "--lang", "en", "--images", "never", "--charts", CHEAP_CHART, "--out", str(env / "deck.pptx")]
    args = args[:-2] + ["--out", str(target)] if option == "--out" else [*args, "--zip", str(target)]
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert check(target.lstat().st_mode), "the path is left as it was"
    if kind == "symlink":
        assert (env / "precious.txt").read_text(encoding="utf-8") == "keep me"
    assert not (env / "deck.pptx").exists()


CHEAP_CHART = "workload-split"


def test_a_deck_and_a_zip_get_the_usual_mode_and_replace_a_regular_file(env, capsys):
    old_umask = os.umask(0o022)
    try:
        out, zip_path = env / "deck.pptx", env / "deck.zip"
        out.write_bytes(b"an older deck")
        out.chmod(0o600)
        args = ["export", "--lang", "en", "--images", "never", "--charts", CHEAP_CHART, "--out", str(out), "--zip", str(zip_path)]
        assert main(args) == 0, capsys.readouterr().err
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert stat.S_IMODE(zip_path.stat().st_mode) == 0o644
    assert len(Presentation(str(out)).slides) == 3


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_atomic_writes_follow_the_umask(tmp_path, umask):
    from analysis.userstore import atomic_write_bytes

    old_umask = os.umask(umask)
    try:
        atomic_write_bytes(tmp_path / "new.json", b"{}")
        atomic_write_bytes(tmp_path / "once.csv", b"a\n", exclusive=True)
    finally:
        os.umask(old_umask)
    for name in ("new.json", "once.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask


def test_an_unwritable_out_is_a_message_and_exit_1(env):
    """/sys refuses new files even to root: the OS error is one line, without a traceback or the folder's path."""
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "export", "--images", "never", "--charts", CHEAP_CHART, "--out", "/sys/x.pptx"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "ATLAS_USER_DATA_DIR": str(env / "userdata")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr
    assert "cannot write x.pptx" in result.stderr
    assert "Traceback" not in result.stderr and "/sys" not in result.stderr, result.stderr
