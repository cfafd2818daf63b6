"""The briefing page's scenario upload (issue 28, finding 8): every limit is checked before the part it guards
is parsed or unpacked, and each refusal is a translated message.

The zips are built here: one of many tiny entries (the issue's 600,000-entry zip took the server from 274 to
628 MB just to list them) and one that unpacks a thousand times larger than it is.
"""

from __future__ import annotations

import io
import json
import tomllib
import zipfile

import pytest
from conftest import PROJECT_ROOT

from analysis import briefing, imports, safejson
from analysis import scenario as sc
from analysis.briefing import ScenarioFileError, read_scenario_file
from analysis.i18n import LANGS, catalog, t

REFUSALS = ("too_large", "too_many_entries", "unpacked_too_large", "too_deep", "number_too_long", "name_too_long")


def scenario_json(name: str = "Mine", **values) -> bytes:
    return sc.to_json(name, {**sc.defaults(), **values}).encode()


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def many_entries(count: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(briefing.SCENARIO_FILE, scenario_json())
        for index in range(count):
            archive.writestr(f"{index:x}", b"")
    return buffer.getvalue()


def refusal(payload: bytes) -> ScenarioFileError:
    with pytest.raises(ScenarioFileError) as excinfo:
        read_scenario_file(payload)
    return excinfo.value


def forbid_unzipping(monkeypatch) -> None:
    """From now on, fail the test if the upload reaches zipfile's directory reader (build the zip first)."""

    def refuse(*args, **kwargs):
        raise AssertionError("the zip was opened before its limits were checked")

    monkeypatch.setattr(zipfile, "ZipFile", refuse)


def test_a_zip_of_tens_of_thousands_of_entries_is_refused_from_its_end_record(monkeypatch):
    payload = many_entries(40_000)
    assert len(payload) < briefing.MAX_UPLOAD_BYTES, "under the upload limit: the entry count is what refuses it"
    forbid_unzipping(monkeypatch)
    error = refusal(payload)
    assert (error.code, error.detail) == ("too_many_entries", "40,001")


def test_a_zip_at_the_entry_limit_still_opens():
    name, values, problems = read_scenario_file(many_entries(briefing.MAX_ZIP_ENTRIES - 1))
    assert name == "Mine" and values == sc.defaults() and problems == []


def test_a_zip_that_unpacks_far_larger_than_it_is_is_refused_unread(monkeypatch):
    padding = b"0" * (briefing.MAX_ZIP_UNPACKED_BYTES + 1)
    payload = zipped({briefing.SCENARIO_FILE: scenario_json(), "padding.csv": padding})
    assert len(payload) < len(padding) // 500, "a thousand to one"

    def refuse(*args, **kwargs):
        raise AssertionError("an entry was unpacked before the total was checked")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)
    assert refusal(payload).code == "unpacked_too_large"


def test_an_upload_over_the_limit_is_refused_even_as_a_zip(monkeypatch):
    payload = b"\0" * briefing.MAX_UPLOAD_BYTES + zipped({briefing.SCENARIO_FILE: scenario_json()})
    forbid_unzipping(monkeypatch)
    assert refusal(payload).code == "too_large"


@pytest.mark.parametrize("as_zip", [False, True], ids=["json", "zip"])
def test_deep_nesting_is_refused_before_parsing(as_zip):
    depth = 100_000
    text = b'{"format": "compute-atlas-scenario", "values": ' + b"[" * depth + b"]" * depth + b"}"
    payload = zipped({briefing.SCENARIO_FILE: text}) if as_zip else text
    assert refusal(payload).code == "too_deep"


def test_an_over_long_integer_is_refused():
    text = b'{"format": "compute-atlas-scenario", "name": "x", "values": {"t_growth": 1' + b"0" * 5000 + b"}}"
    assert refusal(text).code == "number_too_long"


def test_a_name_longer_than_a_scenario_name_is_refused_before_it_reaches_the_url():
    error = refusal(scenario_json("x" * 100_000, t_growth=33.0))
    assert (error.code, error.detail) == ("name_too_long", "100,000")
    longest = "x" * sc.MAX_NAME_CHARS
    assert read_scenario_file(scenario_json(longest, t_growth=33.0))[0] == longest


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("code", REFUSALS)
def test_each_refusal_has_a_message_naming_its_limit(code, lang):
    text = t(f"briefing.file_error.{code}", lang, file="f.zip", detail="D", **briefing.FILE_ERROR_LIMITS)
    assert f"briefing.file_error.{code}" in catalog(lang) and "{" not in text and "f.zip" in text
    assert any(str(limit) in text for limit in briefing.FILE_ERROR_LIMITS.values()) or "D" in text


def test_the_servers_upload_limit_is_what_the_uploaders_need():
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == max(briefing.MAX_UPLOAD_MB, imports.MAX_IMPORT_MB)


def test_the_briefing_packs_own_zip_is_far_inside_every_limit(db_con):
    pack = briefing.build_zip(
        briefing.build_specs(db_con, sc.defaults(), "zh", [d.slug for d in briefing.select_charts(None)], None),
        scenario_name="Mine",
        scenario_values=sc.defaults(),
        lang="zh",
    )
    entries = zipfile.ZipFile(io.BytesIO(pack)).infolist()
    assert len(pack) < briefing.MAX_UPLOAD_BYTES // 100
    assert len(entries) < briefing.MAX_ZIP_ENTRIES // 5
    assert sum(i.file_size for i in entries) < briefing.MAX_ZIP_UNPACKED_BYTES // 100
    assert json.loads(zipfile.ZipFile(io.BytesIO(pack)).read(briefing.SCENARIO_FILE))["name"] == "Mine"
    assert safejson.MAX_DEPTH > 2
