"""Redraw the README's screenshots from the running app and a rendered deck: `.venv/bin/python docs/take_screenshots.py`.

Needs what `make browser-deps` installs (Chromium, LibreOffice, poppler). Starts its own server on a free port,
so the pictures always show the code of this checkout, never a stale server.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.async_api import async_playwright  # noqa: E402

from bench.browser import Session, launch, page_url  # noqa: E402
from bench.server import Server, free_port  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}


async def _shoot(base: str) -> None:
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            session = await Session.open(browser)
            page = session.page
            await page.set_viewport_size(DESKTOP)
            await session.goto(page_url(base, "", "en"))
            # The sidebar's page links arrive after the page is idle; a picture taken at once shows placeholders.
            await page.wait_for_function(
                "() => document.querySelectorAll('[data-testid=stSidebar] a[href]').length > 3"
                " && !document.querySelector('[data-testid=stSidebar] [data-testid=stSkeleton]')"
            )
            await page.screenshot(path=str(OUT / "home_en.png"))
            await session.goto(page_url(base, "market", "en"), wait_chart=True)
            await page.locator(".js-plotly-plot").first.screenshot(path=str(OUT / "market_forecast_en.png"))
            await session.goto(page_url(base, "regions", "zh"), wait_chart=True)
            await page.locator(".js-plotly-plot").first.screenshot(path=str(OUT / "regions_map_zh.png"))
            await page.set_viewport_size(PHONE)
            await session.goto(page_url(base, "workload", "en"), wait_chart=True)
            await page.locator(".js-plotly-plot").first.screenshot(path=str(OUT / "phone_workload_en.png"))
            await session.close()
        finally:
            await browser.close()


def _deck_map_slide() -> None:
    """The deck's map slide as LibreOffice draws it (the slide whose text names the hubs)."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        deck = tmp_dir / "deck.pptx"
        python = sys.executable
        subprocess.run([python, "-m", "analysis", "export", "--lang", "en", "--out", str(deck)], cwd=ROOT, check=True)
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{tmp_dir / 'lo'}", "--headless", "--convert-to", "pdf"]
            + ["--outdir", str(tmp_dir), str(deck)],
            check=True,
            capture_output=True,
        )
        pdf = tmp_dir / "deck.pdf"
        pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True)
        slide = next(
            i for i, text in enumerate(pages.stdout.split("\f"), start=1) if "hub" in text.lower() and "map" in text.lower()
        )
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "80",
                "-f",
                str(slide),
                "-l",
                str(slide),
                "-singlefile",
                str(pdf),
                str(OUT / "deck_map_slide_en"),
            ],
            check=True,
        )


def main() -> None:
    port = free_port()
    log = Path(tempfile.gettempdir()) / "atlas-screenshots-server.log"
    server = Server("app.py", port, dict(os.environ), log).start()
    try:
        server.wait_healthy()
        asyncio.run(_shoot(server.url))
    finally:
        server.stop()
    _deck_map_slide()
    print(f"screenshots written to {OUT}")


if __name__ == "__main__":
    main()
