"""The zh and en catalogs are complete, consistent and cover every key the code asks for."""

from __future__ import annotations

import csv
import re
import string
from pathlib import Path

import pytest
from conftest import DATASETS_DIR, PROJECT_ROOT

from analysis.i18n import LANGS, catalog, normalize_lang, t
from analysis.schema import KINDS, ORIGINS, QUALIFIERS
from analysis.sitemap import PAGES, SECTIONS

# t("a.b") / t('a.b') / frame.t("a.b") with a literal key (f-strings are dynamic families, tested below).
LITERAL_KEY = re.compile(r"""\bt\(\s*(["'])([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)+)\1""")


def _code_files() -> list[Path]:
    files = [PROJECT_ROOT / "app.py"]
    for folder in ("pages", "ui", "analysis"):
        files += sorted((PROJECT_ROOT / folder).glob("*.py"))
    return files


def _literal_keys() -> dict[str, list[str]]:
    """key -> files using it."""
    found: dict[str, list[str]] = {}
    for path in _code_files():
        for match in LITERAL_KEY.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match.group(2), []).append(str(path.relative_to(PROJECT_ROOT)))
    return found


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _segments() -> set[str]:
    with (DATASETS_DIR / "figures.csv").open(encoding="utf-8", newline="") as handle:
        return {row["segment"].strip() for row in csv.DictReader(handle) if row["segment"].strip()}


# ---------------------------------------------------------------- catalogs


def test_catalogs_have_the_same_keys():
    zh, en = set(catalog("zh")), set(catalog("en"))
    assert zh, "the zh catalog is empty"
    assert sorted(zh - en) == [], "keys in zh.json but not en.json"
    assert sorted(en - zh) == [], "keys in en.json but not zh.json"


@pytest.mark.parametrize("lang", LANGS)
def test_no_empty_values(lang):
    empty = sorted(k for k, v in catalog(lang).items() if not isinstance(v, str) or not v.strip())
    assert empty == [], f"{lang}.json has empty values"


def test_placeholders_match_between_languages():
    zh, en = catalog("zh"), catalog("en")
    mismatched = {
        key: (sorted(_placeholders(zh[key])), sorted(_placeholders(en[key])))
        for key in sorted(set(zh) & set(en))
        if _placeholders(zh[key]) != _placeholders(en[key])
    }
    assert mismatched == {}, "placeholders differ (zh, en)"


@pytest.mark.parametrize("lang", LANGS)
def test_every_string_formats_with_its_own_placeholders(lang):
    # A stray "{" or a positional "{}" would raise at render time.
    broken = {}
    for key, text in catalog(lang).items():
        try:
            text.format(**{name: "X" for name in _placeholders(text)})
        except (IndexError, KeyError, ValueError) as exc:
            broken[key] = repr(exc)
    assert broken == {}


def test_literal_keys_in_code_exist_in_both_catalogs():
    used = _literal_keys()
    assert len(used) >= 20, f"the key scan found too few keys ({len(used)}); is the regex still right?"
    for lang in LANGS:
        missing = {k: files for k, files in sorted(used.items()) if k not in catalog(lang)}
        assert missing == {}, f"keys used in code but missing from {lang}.json"


@pytest.mark.parametrize(
    "family, values",
    [
        ("kind", KINDS),
        ("origin", ORIGINS),
        ("qualifier", QUALIFIERS),
        ("segment", tuple(sorted(_segments()))),
        ("nav.section", SECTIONS),
    ],
)
@pytest.mark.parametrize("lang", LANGS)
def test_dynamic_families_are_complete(family, values, lang):
    assert values, f"no values for {family}"
    missing = [f"{family}.{v}" for v in values if f"{family}.{v}" not in catalog(lang)]
    assert missing == [], f"{lang}.json lacks these keys"


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_has_title_and_summary(lang):
    missing = [k for p in PAGES for k in (p.title_key, p.summary_key) if k not in catalog(lang)]
    assert missing == []


def test_qualifiers_keep_the_value():
    # Every qualifier wraps the number; a template without {value} would drop it.
    for lang in LANGS:
        for q in QUALIFIERS:
            assert "{value}" in catalog(lang)[f"qualifier.{q}"], (lang, q)


# ---------------------------------------------------------------- lookup behaviour


@pytest.mark.parametrize("lang", LANGS)
def test_missing_key_shows_a_visible_marker(lang):
    assert t("no_such.key_here", lang) == "⟦no_such.key_here⟧"


def test_t_translates_and_fills_values():
    assert t("page.figures.title", "en") == catalog("en")["page.figures.title"]
    assert t("page.figures.title", "zh") == catalog("zh")["page.figures.title"]
    assert t("page.figures.title", "en") != t("page.figures.title", "zh")
    assert "XYZ-PRODUCER" in t("home.card_source", "en", producer="XYZ-PRODUCER", kind="K")


@pytest.mark.parametrize("raw, expected", [(None, "zh"), ("", "zh"), ("xx", "zh"), ("EN", "zh"), ("en", "en"), ("zh", "zh")])
def test_normalize_lang(raw, expected):
    assert normalize_lang(raw) == expected


def test_unknown_language_falls_back_to_chinese_in_t():
    assert t("app.name", "xx") == catalog("zh")["app.name"]


# ---------------------------------------------------------------- meta: pages and the sitemap


def test_every_page_file_is_in_the_sitemap():
    # A new page must be listed in PAGES: that gives it a sidebar link and a smoke test (tests/test_pages.py).
    listed = {p.file for p in PAGES}
    on_disk = {f"pages/{p.name}" for p in (PROJECT_ROOT / "pages").glob("*.py") if not p.name.startswith("_")}
    assert sorted(on_disk - listed) == [], "page files not in analysis.sitemap.PAGES"


def test_every_sitemap_entry_exists_and_is_unique():
    assert PAGES[0].file == "app.py", "the home page (app.py) comes first"
    missing = [p.file for p in PAGES if not (PROJECT_ROOT / p.file).is_file()]
    assert missing == []
    ids = [p.page_id for p in PAGES]
    files = [p.file for p in PAGES]
    assert len(set(ids)) == len(ids) and len(set(files)) == len(files)


def test_a_key_defined_in_two_area_files_is_an_error(tmp_path, monkeypatch):
    import json

    from analysis import i18n

    (tmp_path / "zh").mkdir()
    (tmp_path / "zh" / "a.json").write_text(json.dumps({"x.y": "一"}), encoding="utf-8")
    (tmp_path / "zh" / "b.json").write_text(json.dumps({"x.y": "二"}), encoding="utf-8")
    monkeypatch.setattr(i18n, "_LOCALES_DIR", tmp_path)
    i18n.catalog.cache_clear()
    try:
        with pytest.raises(ValueError, match="b.json redefines 1 key.*x.y"):
            i18n.catalog("zh")
    finally:
        i18n.catalog.cache_clear()


def test_sidebar_sections_are_known_and_contiguous():
    sections = [p.section for p in PAGES]
    assert sections[0] == "" and all(s in SECTIONS for s in sections[1:])
    # Each section's pages sit together, so the sidebar shows each heading once.
    order = list(dict.fromkeys(sections))
    assert order == ["", *SECTIONS]


# ---------------------------------------------------------------- full-width punctuation in Chinese text

ASCII_PAREN_BY_HAN = re.compile(r"[\u4e00-\u9fff]\s?[()]|[()]\s?[\u4e00-\u9fff]")


def test_with_aside_uses_full_width_parentheses_in_chinese():
    from analysis.i18n import with_aside

    assert with_aside("IDC · 2025年2月", "口径已变", "zh") == "IDC · 2025年2月（口径已变）"
    assert with_aside("IDC · Feb 2025", "definition changed", "en") == "IDC · Feb 2025 (definition changed)"


def test_market_chart_legend_in_chinese_has_no_ascii_parentheses(db_con):
    from analysis import scenario
    from analysis.chartspec import chart_def

    spec = chart_def("ai-server-market").build(db_con, scenario.defaults(), "zh")
    names = [trace.name for trace in spec.figure.data if trace.name]
    assert any("口径已变" in n for n in names)  # IDC's re-scoped series is drawn and labelled
    assert not [n for n in names if ASCII_PAREN_BY_HAN.search(n)], names


def test_metric_table_units_in_chinese_have_full_width_parentheses(db_con):
    from analysis.data import metrics, units
    from analysis.tables import metrics_display

    column = metrics_display(metrics(db_con), units(db_con), "zh").iloc[:, 2]
    assert "亿美元（USD_100m）" in set(column)
    assert not [c for c in column if ASCII_PAREN_BY_HAN.search(c)]


def test_chart_toolbar_config_carries_the_chinese_tooltips():
    from analysis.charts import plotly_config

    zh = plotly_config("x", "zh")
    dictionary = zh["locales"][zh["locale"]]["dictionary"]
    assert dictionary["Download plot as a PNG"] == t("modebar.download_png", "zh")
    assert all(key and value and key != value for key, value in dictionary.items())
    assert "locale" not in plotly_config("x", "en")  # plotly's own English
