"""The pages of the app: one entry per file, used by the sidebar, the home page and the tests."""

from __future__ import annotations

from dataclasses import dataclass

API_PREFIX = "/api/v1"  # the read-only HTTP API (analysis.api); here so the server can route it without loading it


@dataclass(frozen=True)
class Page:
    page_id: str
    file: str  # relative to the project root
    icon: str
    section: str = ""  # sidebar group; translated as nav.section.<section>; "" for the home page

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
    Page("market", "pages/market.py", ":material/trending_up:", "markets"),
    Page("intelligent_compute", "pages/intelligent_compute.py", ":material/memory:", "markets"),
    Page("workload", "pages/workload.py", ":material/model_training:", "markets"),
    Page("cycle", "pages/cycle.py", ":material/cycle:", "markets"),
    Page("compute", "pages/compute.py", ":material/calculate:", "compute"),
    Page("compute_audit", "pages/compute_audit.py", ":material/rule:", "compute"),
    Page("industry", "pages/industry.py", ":material/account_tree:", "industry"),
    Page("players", "pages/players.py", ":material/factory:", "industry"),
    Page("regions", "pages/regions.py", ":material/map:", "industry"),
    Page("briefing", "pages/briefing.py", ":material/slideshow:", "briefing"),
    Page("figures", "pages/figures.py", ":material/table_chart:", "data"),
    Page("scorecard", "pages/scorecard.py", ":material/fact_check:", "data"),
    Page("imports", "pages/imports.py", ":material/upload_file:", "data"),
    Page("sql", "pages/sql.py", ":material/terminal:", "data"),
    Page("sources", "pages/sources.py", ":material/menu_book:", "data"),
)
SECTIONS = ("markets", "compute", "industry", "briefing", "data")

PAGES_BY_ID = {p.page_id: p for p in PAGES}
