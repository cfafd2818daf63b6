"""The pages of the app: one entry per file, used by the sidebar, the home page and the tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    page_id: str
    file: str  # relative to the project root
    icon: str

    @property
    def title_key(self) -> str:
        return f"page.{self.page_id}.title"

    @property
    def summary_key(self) -> str:
        return f"page.{self.page_id}.summary"

    @property
    def url_path(self) -> str:
        """The path Streamlit serves the page at (file stem for pages/, root for the home page)."""
        return "" if self.file == "app.py" else self.file.removeprefix("pages/").removesuffix(".py")


PAGES: tuple[Page, ...] = (
    Page("home", "app.py", ":material/home:"),
    Page("figures", "pages/figures.py", ":material/table_chart:"),
    Page("market", "pages/market.py", ":material/trending_up:"),
    Page("intelligent_compute", "pages/intelligent_compute.py", ":material/memory:"),
    Page("workload", "pages/workload.py", ":material/model_training:"),
    Page("cycle", "pages/cycle.py", ":material/cycle:"),
    Page("industry", "pages/industry.py", ":material/account_tree:"),
    Page("players", "pages/players.py", ":material/factory:"),
    Page("regions", "pages/regions.py", ":material/map:"),
    Page("compute", "pages/compute.py", ":material/calculate:"),
    Page("compute_audit", "pages/compute_audit.py", ":material/rule:"),
    Page("sources", "pages/sources.py", ":material/menu_book:"),
    Page("sql", "pages/sql.py", ":material/terminal:"),
    Page("imports", "pages/imports.py", ":material/upload_file:"),
    Page("scorecard", "pages/scorecard.py", ":material/fact_check:"),
    Page("briefing", "pages/briefing.py", ":material/slideshow:"),
)

PAGES_BY_ID = {p.page_id: p for p in PAGES}
