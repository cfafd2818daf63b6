"""The look of the briefing deck: fonts, colours, sizes and where everything sits, in one place.

A company restyles its decks by editing `DEFAULT_TEMPLATE` here (or passing its own `DeckTemplate`
to `analysis.briefing`): nothing visual is decided anywhere else. `base_presentation` may name a
.pptx whose slide master and theme the deck is built on (its layout `title_layout`, one with a title placeholder, is used).
Lengths are in inches, font sizes in points, colours as "#rrggbb".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analysis.charts import PALETTE


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class DeckTemplate:
    # Slide and base file
    slide_width: float = 13.333  # 16:9
    slide_height: float = 7.5
    base_presentation: str | None = None  # path to a company .pptx (master, theme); None: python-pptx's default
    title_layout: int = 5  # index of the base presentation's "Title Only" layout: every slide's title is its placeholder

    # Fonts: Latin text and East Asian (Chinese) text are set separately, as PowerPoint does.
    font_latin: str = "Arial"
    font_east_asian: str = "Microsoft YaHei"  # PowerPoint substitutes PingFang / Noto Sans CJK where absent

    # Colours
    ink: str = PALETTE["ink"]
    muted: str = PALETTE["muted"]
    accent: str = PALETTE["primary"]
    rule: str = PALETTE["grid"]
    background: str = "#ffffff"
    warning: str = PALETTE["secondary"]  # what was left out of the deck
    series_colours: tuple[str, ...] = (
        PALETTE["primary"],
        PALETTE["secondary"],
        PALETTE["tertiary"],
        PALETTE["quaternary"],
        PALETTE["muted"],
        "#d9a441",
        "#3f8fa8",
        "#9c4f6e",
    )

    # Type sizes (pt)
    cover_title_pt: float = 40
    cover_subtitle_pt: float = 18
    cover_meta_pt: float = 14
    title_pt: float = 26
    takeaway_pt: float = 16
    takeaway_min_pt: float = 12  # a longer takeaway takes more lines (the chart gets less height), not smaller type
    takeaway_max_height: float = 1.25  # inches; beyond it a takeaway's type goes down towards min_text_pt
    body_pt: float = 14
    footnote_pt: float = 9
    footer_pt: float = 9
    chart_pt: float = 12
    chart_legend_pt: float = 12
    min_text_pt: float = 9  # text shrinks towards this, never below: a box too small for it at this size grows
    text_inset: float = 0.05  # inches between a text box's edge and its text

    # Cover slide
    cover_title_box: Box = field(default_factory=lambda: Box(0.9, 2.0, 11.5, 1.3))
    cover_subtitle_box: Box = field(default_factory=lambda: Box(0.9, 3.3, 11.5, 0.7))
    cover_meta_box: Box = field(default_factory=lambda: Box(0.9, 4.3, 11.5, 2.4))
    cover_rule_box: Box = field(default_factory=lambda: Box(0.9, 1.75, 1.6, 0.08))

    # Chart slides
    accent_rule_box: Box = field(default_factory=lambda: Box(0.5, 0.3, 1.0, 0.06))
    title_box: Box = field(default_factory=lambda: Box(0.5, 0.4, 12.3, 0.62))
    takeaway_box: Box = field(default_factory=lambda: Box(0.5, 1.04, 12.3, 0.62))
    chart_box: Box = field(default_factory=lambda: Box(0.5, 1.72, 12.3, 4.55))
    footnote_box: Box = field(default_factory=lambda: Box(0.5, 6.32, 10.4, 1.0))
    footer_box: Box = field(default_factory=lambda: Box(11.0, 6.97, 1.83, 0.35))

    # Closing slide: two columns of sources, then what was left out
    closing_title_box: Box = field(default_factory=lambda: Box(0.5, 0.45, 12.3, 0.8))
    closing_body_box: Box = field(default_factory=lambda: Box(0.5, 1.35, 12.3, 5.6))
    closing_columns: int = 2
    closing_items_per_column: int = 12  # above this the list shrinks to closing_small_pt
    closing_small_pt: float = 11
    closing_line_height: float = 0.3  # inches per line of the left-out list
    closing_note_height: float = 0.5  # the "quoted via the report" note at the bottom

    # Chart images (charts without a native PowerPoint form): pixels at 1×, rendered at image_scale.
    # 1000 px across 12.3 in: plotly's 13 px text lands at about 11.5 pt on the slide. Same aspect as chart_box.
    image_width_px: int = 1000
    image_height_px: int = 370
    image_scale: float = 2.5

    # Native charts
    chart_gridlines: bool = True
    chart_line_width_pt: float = 2.25
    chart_legend_bottom: bool = True

    # Brand line in the footer of every chart slide, e.g. "Compute Atlas"; a translation key, not text.
    footer_key: str = "app.name"


DEFAULT_TEMPLATE = DeckTemplate()
