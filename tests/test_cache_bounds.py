"""Every st.cache_data in the app holds a bounded number of results.

Its key usually includes a slider's value or an uploaded file, so an unbounded cache grows with every drag
in every session for as long as the server runs (the benchmark's server memory counts it).
"""

from __future__ import annotations

import ast

from conftest import PROJECT_ROOT

SCANNED = [PROJECT_ROOT / "app.py", *sorted((PROJECT_ROOT / "pages").glob("*.py")), *sorted((PROJECT_ROOT / "ui").glob("*.py"))]


def cache_data_decorators() -> list[tuple[str, int, ast.expr]]:
    found = []
    for path in SCANNED:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                for decorator in node.decorator_list:
                    target = decorator.func if isinstance(decorator, ast.Call) else decorator
                    if getattr(target, "attr", None) == "cache_data":
                        found.append((f"{path.name}:{node.name}", node.lineno, decorator))
    return found


def test_every_cache_data_names_max_entries():
    decorators = cache_data_decorators()
    assert len(decorators) >= 3, "the scan should find the frame's loaders and the imports page's check"
    unbounded = [
        f"{name} (line {line})"
        for name, line, decorator in decorators
        if not (isinstance(decorator, ast.Call) and any(k.arg == "max_entries" for k in decorator.keywords))
    ]
    assert unbounded == [], f"st.cache_data without max_entries: {unbounded}"
