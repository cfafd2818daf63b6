"""AppTest smoke tests: every page in PAGES renders in zh and en, fully translated, against a fresh database.

Pages are reached through app.py (the sidebar's st.page_link needs app.py as the entry point), with the
language in the URL query parameter `lang`, as a shared link would carry it.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from chart_elements import chart_payload, chart_specs, is_chart
from conftest import DATASETS_DIR, PROJECT_ROOT, set_cell
from streamlit.testing.v1 import AppTest

from analysis.charts import SOURCE_ANNOTATION_NAME
from analysis.i18n import LANGS, catalog, t
from analysis.sitemap import PAGES, PAGES_BY_ID

TIMEOUT = 60
MARKER = "⟦"


@pytest.fixture(scope="module", autouse=True)
def isolated_database(tmp_path_factory: pytest.TempPathFactory):
    """A database path of our own: the app builds it on first run; build/ is never used."""
    db_path = tmp_path_factory.mktemp("apptest") / "atlas.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ATLAS_DB_PATH", str(db_path))
        # Streamlit caches are process-wide: drop anything cached against another database path.
        st.cache_data.clear()
        st.cache_resource.clear()
        yield db_path
        st.cache_data.clear()
        st.cache_resource.clear()


def run_page(file: str, lang: str | None) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=TIMEOUT)
    if lang is not None:
        at.query_params["lang"] = lang
    if file != "app.py":
        at.switch_page(file)
    at.run()
    return at


def _children(node) -> list:
    children = getattr(node, "children", None)
    return list(children.values()) if isinstance(children, dict) else []


def _walk(node):
    for child in _children(node):
        yield child
        yield from _walk(child)


def rendered_texts(at: AppTest) -> list[str]:
    """Every piece of text a reader sees: headings, markdown, captions, alerts, widget labels, table cells,
    sidebar links and chart titles/legends."""
    texts: list[str] = []
    for node in _walk(at._tree):
        kind = getattr(node, "type", "")
        for attr in ("label", "placeholder", "help"):
            value = getattr(node, attr, None)
            if isinstance(value, str):
                texts.append(value)
        if kind == "page_link":
            texts.append(node.proto.label)
        elif is_chart(node):
            texts.append(json.dumps(chart_payload(node)["figure"], ensure_ascii=False))
        elif kind in ("multiselect", "selectbox", "radio", "button_group"):
            texts.extend(str(o) for o in getattr(node, "options", []))
        try:
            value = getattr(node, "value", None)
        except Exception:  # some widgets have no readable value
            value = None
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, pd.DataFrame):
            texts.extend(str(c) for c in value.columns)
            texts.extend(str(v) for v in value.astype(str).to_numpy().ravel())
    texts.extend(str(toast.value) for toast in at.toast)
    return texts


PAGE_LANGS = [pytest.param(p, lang, id=f"{p.page_id}-{lang}") for p in PAGES for lang in LANGS]


@pytest.mark.parametrize("page, lang", PAGE_LANGS)
def test_page_renders_translated(page, lang):
    at = run_page(page.file, lang)
    assert not at.exception, [e.value for e in at.exception]
    expected_title = t("home.title", lang) if page.file == "app.py" else t(page.title_key, lang)
    assert at.title[0].value == expected_title
    assert MARKER not in expected_title
    texts = rendered_texts(at)
    assert len(texts) > 5
    leaked = [s[:80] for s in texts if MARKER in s]
    assert leaked == [], "untranslated keys on the page"
    # Nothing went wrong with the data: no error or stale-database warning.
    assert [e.value for e in at.error] == []
    assert [w.value for w in at.warning] == []
    # The sidebar links every page, in this language.
    links = [n.proto.label for n in _walk(at.sidebar) if getattr(n, "type", "") == "page_link"]
    assert links == [t(p.title_key, lang) for p in PAGES]


@pytest.mark.parametrize("page, lang", PAGE_LANGS)
def test_every_chart_has_its_source_line_and_export_name(page, lang):
    at = run_page(page.file, lang)
    prefix = t("chart.source_line", lang, sources="\x00").split("\x00")[0]
    assert prefix.strip(), "chart.source_line should start with fixed text"
    for parent in [at._tree, *_walk(at._tree)]:
        siblings = _children(parent)
        for i, node in enumerate(siblings):
            if not is_chart(node):
                continue
            # One source line, as text under the chart (at least 11 px at any width); not drawn in the screen's
            # figure as well (exported pictures carry theirs: tests/test_chart_layout.py).
            spec = chart_payload(node)["figure"]
            notes = [a for a in spec["layout"].get("annotations", []) if a.get("name") == SOURCE_ANNOTATION_NAME]
            assert notes == [], "the source line drawn in the screen's figure too"
            after = []
            for sibling in siblings[i + 1 : i + 4]:
                if getattr(sibling, "type", "") != "caption":
                    break
                after.append(re.sub(r"\\(.)", r"\1", sibling.value))  # Markdown's escapes undone
            assert sum(text.startswith(prefix) for text in after) == 1, f"no source line under the chart: {after}"
            config = chart_payload(node)["config"]
            filename = config["toImageButtonOptions"]["filename"]
            assert filename.startswith("compute-atlas_") and filename.endswith(f"_{lang}")


@pytest.mark.parametrize("lang", LANGS)
def test_home_has_a_chart(lang):
    at = run_page("app.py", lang)
    assert len(chart_specs(at)) >= 1


# ---------------------------------------------------------------- the figures page


@pytest.mark.parametrize("lang", LANGS)
def test_kind_filter_narrows_to_forecasts(lang):
    at = run_page(PAGES_BY_ID["figures"].file, lang)
    total = len(at.dataframe[0].value)
    at.multiselect(key="kind").set_value(["forecast"]).run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert 0 < len(shown) < total
    kind_column = t("column.kind", lang)
    assert set(shown[kind_column]) == {t("kind.forecast", lang)}
    # The count caption agrees with the table.
    count = t("figures.count", lang, shown=len(shown), total=total)
    assert count in [c.value for c in at.caption]


@pytest.mark.parametrize("lang", LANGS)
def test_search_without_match_says_so(lang):
    at = run_page(PAGES_BY_ID["figures"].file, lang)
    at.text_input(key="q").set_value("no-such-figure-zzz").run()
    assert not at.exception
    assert [i.value for i in at.info] == [t("figures.none", lang)]
    assert len(at.dataframe) == 0


def test_search_is_case_insensitive_on_the_page():
    at = run_page(PAGES_BY_ID["figures"].file, "en")
    at.text_input(key="q").set_value("a100").run()
    lower = list(at.dataframe[0].value[t("column.figure_id", "en")])
    at.text_input(key="q").set_value("A100").run()
    upper = list(at.dataframe[0].value[t("column.figure_id", "en")])
    assert lower and lower == upper


# ---------------------------------------------------------------- language in the URL


@pytest.mark.parametrize("file", ["app.py", PAGES_BY_ID["figures"].file])
def test_invalid_lang_renders_chinese(file):
    at = run_page(file, "xx")
    assert not at.exception
    page = next(p for p in PAGES if p.file == file)
    expected = t("home.title", "zh") if file == "app.py" else t(page.title_key, "zh")
    assert at.title[0].value == expected
    assert t("frame.bad_lang", "zh", value="xx") in [str(x.value) for x in at.toast]
    assert "lang" not in at.query_params


def test_no_lang_parameter_means_chinese():
    at = run_page("app.py", None)
    assert not at.exception
    assert at.title[0].value == catalog("zh")["home.title"]


def test_language_switch_updates_page_and_url():
    at = run_page("app.py", None)
    at.button_group(key="lang_switch").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == t("home.title", "en")
    assert at.query_params.get("lang") in ("en", ["en"])


def test_fresh_database_was_built_in_isolation(isolated_database: Path):
    run_page("app.py", "en")
    assert isolated_database.exists(), "the app should build its own database at ATLAS_DB_PATH"


def test_broken_row_in_datasets_keeps_last_build_and_warns(tmp_path, monkeypatch):
    """A bad edit to datasets/ shows a warning naming the row; the pages still work on the last good build."""
    datasets = tmp_path / "datasets"
    shutil.copytree(DATASETS_DIR, datasets)
    monkeypatch.setenv("ATLAS_DATASETS_DIR", str(datasets))
    monkeypatch.setenv("ATLAS_DB_PATH", str(tmp_path / "atlas.duckdb"))
    st.cache_data.clear()
    assert not run_page("app.py", "en").exception  # first run builds the good database
    line = set_cell(datasets / "figures.csv", "figure_id", "gpt3_parameters", "value", "lots")
    st.cache_data.clear()
    at = run_page("pages/figures.py", "en")
    for _ in range(2):  # the second run reads the status back from st.cache_data (a pickled copy)
        assert not at.exception
        assert [w.value for w in at.warning] == [t("frame.stale_database", "en")]
        assert any(f"figures.csv:{line}" in c.value for c in at.code)
        assert len(at.dataframe) == 1
        at.run()
    st.cache_data.clear()


def test_broken_datasets_and_no_database_shows_error_not_traceback(tmp_path, monkeypatch):
    datasets = tmp_path / "datasets"
    shutil.copytree(DATASETS_DIR, datasets)
    (datasets / "metrics.csv").unlink()
    monkeypatch.setenv("ATLAS_DATASETS_DIR", str(datasets))
    monkeypatch.setenv("ATLAS_DB_PATH", str(tmp_path / "atlas.duckdb"))
    st.cache_data.clear()
    at = run_page("app.py", "zh")
    assert not at.exception
    assert [e.value for e in at.error] == [t("frame.no_database", "zh")]
    assert any("metrics.csv: file is missing" in c.value for c in at.code)
    st.cache_data.clear()


def test_home_links_every_page_once():
    at = run_page("app.py", "en")
    main_links = [n.proto.page for n in _walk(at.main) if getattr(n, "type", "") == "page_link"]
    assert sorted(main_links) == sorted(p.url_path for p in PAGES[1:])
