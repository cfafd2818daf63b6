"""User-supplied text made safe to show and to export.

Streamlit reads the text of st.markdown, st.error, st.warning, st.toast… as Markdown, so a URL value,
a scenario name or a version name echoed there could render an image the browser fetches
(`![x](http://host/u.png)`), a link, or HTML. `escape_markdown` backslash-escapes every ASCII
punctuation character (CommonMark renders each escape as the character itself), puts a zero-width
space where GFM would still find a bare link (`http://`, `www.`, `a@b.c`), and turns control
characters into spaces.

Spreadsheets run a cell that starts with =, +, -, @, a tab or a carriage return as a formula
(`=HYPERLINK(…)`); `csv_safe_cell` prefixes such text with an apostrophe, which Excel and LibreOffice
show as text.

Plotly draws a subset of HTML in every text it shows (legend names, hover text, titles, annotations,
axis labels): `<a href>`, `<b>`, `<span style>`, `<br>` and entities such as `&lt;` or `&#60;`.
`escape_plot_text` turns `&`, `<` and `>` into entities (which plotly shows as the characters) and
control characters into spaces, so a scenario name or an imported citation is drawn as the text it is.

Names and imported text are stored in Unicode's composed form (NFC), so two spellings of "é" are one
name. `refused_character` finds the first character such text may not hold: controls (Cc: NUL, BEL,
tab, line feed), format characters (Cf: bidirectional overrides such as U+202E, which shows
"Q3 plan [U+202E]FDP.exe" as "Q3 plan exe.PDF", zero-width spaces and joiners, U+FEFF, U+061C),
line and paragraph separators (Zl, Zp) and lone surrogates (Cs); `RefusedCharacter` names it (U+XXXX, its Unicode name, its position).

Error messages must not show where the server keeps its files: `redact_paths` replaces absolute
paths by their last part.
"""

from __future__ import annotations

import html
import re
import string
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas only when a frame is exported: scenario parsing and the CLI start faster without it
    import pandas as pd

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
# C0/C1 controls, and the bidirectional overrides and isolates that reorder what a reader sees.
CONTROL_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
ZERO_WIDTH_SPACE = "\u200b"
# After escaping: ":" before "//", the "." after "www", and "@", each as backslash + character.
_AUTOLINK = re.compile(r"(?i)(?<=[a-z0-9])\\:(?=\\/)|(?<=www)\\\.|\\@")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])(/(?:[^\s/'\"]+/)+)([^\s/'\"]*)")


def escape_markdown(text: object) -> str:
    """`text` shown literally by Markdown: punctuation escaped, control characters as spaces, and a
    zero-width space where GFM would turn plain text into a link (`http://`, `www.`, `name@host`),
    because its autolinks are found after the escapes are read."""
    escaped = _PUNCTUATION.sub(r"\\\1", CONTROL_CHARS.sub(" ", str(text)))
    return _AUTOLINK.sub(lambda m: m.group(0)[:-2] + ZERO_WIDTH_SPACE + m.group(0)[-2:], escaped)


REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# Controls have no Unicode name; these are the ones a pasted name or a spreadsheet cell is likely to hold.
CONTROL_NAMES = {
    0x00: "NULL",
    0x07: "BELL",
    0x08: "BACKSPACE",
    0x09: "CHARACTER TABULATION",
    0x0A: "LINE FEED",
    0x0B: "LINE TABULATION",
    0x0C: "FORM FEED",
    0x0D: "CARRIAGE RETURN",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
    0x85: "NEXT LINE",
}


@dataclass(frozen=True)
class RefusedCharacter:
    """A character text may not hold, and where: `position` counts characters from 1."""

    char: str
    position: int

    @property
    def code(self) -> str:
        return f"U+{ord(self.char):04X}"

    @property
    def name(self) -> str:
        fallback = "SURROGATE" if unicodedata.category(self.char) == "Cs" else "CONTROL CHARACTER"
        return unicodedata.name(self.char, CONTROL_NAMES.get(ord(self.char), fallback))


def normalize_text(text: object) -> str:
    """`text` in Unicode's composed form (NFC), as names and imported text are compared and stored."""
    return unicodedata.normalize("NFC", str(text))


def refused_character(text: str) -> RefusedCharacter | None:
    """The first control, format, separator or surrogate character of `text` (None when it has none)."""
    for index, char in enumerate(text):
        if unicodedata.category(char) in REFUSED_CATEGORIES:
            return RefusedCharacter(char, index + 1)
    return None


def without_refused_characters(text: str) -> str:
    return "".join(c for c in text if unicodedata.category(c) not in REFUSED_CATEGORIES)


def escape_plot_text(text: object) -> str:
    """`text` drawn literally by plotly: `&`, `<`, `>` as entities, control and direction characters as spaces.

    Only for text a user could have written (scenario names, imported versions, citations): the charts'
    own labels use plotly's tags (`<br>`, `<b>`) on purpose."""
    return html.escape(CONTROL_CHARS.sub(" ", str(text)), quote=False)


def csv_safe_cell(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, prefixed with ' so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_safe_frame(frame: pd.DataFrame, columns: Iterable[object] | None = None) -> pd.DataFrame:
    """A copy of `frame` whose text cells (in text columns) cannot start a formula; numbers are untouched.

    `columns` limits the guard to those columns (the ones holding a user's text), so a formatted "+3.2%"
    the app wrote itself is shown as it is; a table handed to st.dataframe is guarded this way, because the
    grid's own "Download as CSV" writes the cells it was given."""
    import pandas as pd

    out = frame.copy()
    chosen = set(out.columns if columns is None else columns)
    for column in out.columns:
        if column not in chosen:
            continue
        if not pd.api.types.is_numeric_dtype(out[column]) and not pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].map(csv_safe_cell)
    return out


def redact_paths(text: object) -> str:
    """`text` with absolute file paths cut to their last part: '/srv/app/var/x.json' → 'x.json'."""
    return _ABSOLUTE_PATH.sub(lambda m: m.group(2) or "…", str(text))
