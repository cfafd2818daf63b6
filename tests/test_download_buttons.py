"""Every download button in the app is frontend-only (on_click="ignore").

With Streamlit's default (a rerun on click) a rerun that starts while the browser fetches a file made on
click can drop that file: Streamlit's documentation warns of the race, and the load test logged
"Download Button source error - 404" before the chart downloads were changed.
"""

from __future__ import annotations

import ast

from conftest import PROJECT_ROOT

SCANNED = [PROJECT_ROOT / "app.py", *sorted((PROJECT_ROOT / "pages").glob("*.py")), *sorted((PROJECT_ROOT / "ui").glob("*.py"))]


def download_calls() -> list[tuple[str, int, ast.Call]]:
    found = []
    for path in SCANNED:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "download_button":
                found.append((path.name, node.lineno, node))
    return found


def test_every_download_button_ignores_the_click_on_the_server():
    calls = download_calls()
    assert len(calls) >= 10, "the scan should find the app's download buttons"
    rerunning = []
    for name, line, call in calls:
        given = {k.arg: k.value for k in call.keywords}
        value = given.get("on_click")
        if not (isinstance(value, ast.Constant) and value.value == "ignore"):
            rerunning.append(f"{name}:{line}")
    assert rerunning == [], f"download buttons that rerun the app on click: {rerunning}"
