"""In Chromium: the briefing page's uploader refuses a file over its limit before sending it, says the limit in
the reader's language, and a deeply nested scenario.json gets a message, not a traceback (issue 28, finding 8)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from analysis import briefing
from analysis.i18n import t

PAGE_READY_MS = 60_000
BENIGN_CONSOLE = re.compile(r"Failed to load resource: the server responded with a status of 404")


def open_briefing(page, app_url: str, lang: str):
    page.goto(f"{app_url}/briefing?lang={lang}")
    page.get_by_role("heading", name=t("page.briefing.title", lang)).wait_for(timeout=PAGE_READY_MS)
    return page.locator("[data-testid=stMain]")


def test_a_file_over_the_limit_is_refused_before_upload(page, app_url, tmp_path):
    main = open_briefing(page, app_url, "en")
    big = tmp_path / "big.zip"
    big.write_bytes(b"\0" * (briefing.MAX_UPLOAD_BYTES + 1))
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(big))
    chip = main.locator("[data-testid=stFileChip]").filter(has_text="big.zip")
    expect(chip).to_have_attribute("aria-invalid", "true", timeout=PAGE_READY_MS)
    expect(main.locator("[data-testid=stFileUploader]")).to_contain_text(f"{briefing.MAX_UPLOAD_MB:.1f}MB or smaller")
    assert page.locator("[data-testid=stException]").count() == 0


def test_a_deeply_nested_scenario_is_a_message(page, app_url, tmp_path):
    main = open_briefing(page, app_url, "zh")
    deep = tmp_path / "deep.json"
    depth = 100_000
    deep.write_bytes(b'{"format": "compute-atlas-scenario", "values": ' + b"[" * depth + b"]" * depth + b"}")
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(deep))
    expected = t("briefing.file_error.too_deep", "zh", file="deep.json", **briefing.FILE_ERROR_LIMITS)
    expect(main.locator("[data-testid=stAlertContentError]").first).to_have_text(expected, timeout=PAGE_READY_MS)
    assert page.locator("[data-testid=stException]").count() == 0
    assert [m for m in page.console_errors if not BENIGN_CONSOLE.search(m)] == []
