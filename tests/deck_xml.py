"""Reading a deck's text and native charts back from its XML, for the deck tests."""

from __future__ import annotations

from pptx.oxml.ns import qn

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
MIN_PT = 9


def series_xml(slide) -> list:
    """(name, c:ser element) of the slide's chart, in drawing order."""
    charts = [shape.chart for shape in slide.shapes if shape.has_chart]
    if not charts:
        return []
    return [(s.name, s._element) for s in charts[0].plots[0].series]


def series_look(ser) -> dict:
    """What a reader sees of one series: its line (none, dash, colour, width) and its marker."""
    ln = ser.find(f"{C}spPr/{A}ln")
    no_line = ln is not None and ln.find(f"{A}noFill") is not None
    dash = ln.find(f"{A}prstDash") if ln is not None else None
    colour = ln.find(f".//{A}srgbClr") if ln is not None and not no_line else None
    symbol = ser.find(f"{C}marker/{C}symbol")
    fill = ser.find(f"{C}marker/{C}spPr/{A}solidFill/{A}srgbClr")
    return {
        "marker_fill": fill.get("val") if fill is not None else None,
        "line": not no_line,
        "dash": dash.get("val") if dash is not None and not no_line else "solid",
        "colour": colour.get("val") if colour is not None else None,
        "width": ln.get("w") if ln is not None and not no_line else None,
        "marker": symbol.get("val") if symbol is not None else None,
    }


def legend_hidden(slide) -> set[int]:
    chart = next(shape.chart for shape in slide.shapes if shape.has_chart)
    if not chart.has_legend:
        return set()
    return {
        int(entry.find(qn("c:idx")).get("val"))
        for entry in chart.legend._element.findall(qn("c:legendEntry"))
        if entry.find(qn("c:delete")) is not None and entry.find(qn("c:delete")).get("val") in ("1", "true")
    }


def all_text(prs) -> list[tuple[int, str]]:
    out = []
    for number, slide in enumerate(prs.slides, start=1):
        for shape in slide.shapes:
            if shape.has_text_frame:
                out.append((number, shape.text_frame.text))
            if shape.has_chart:
                xml = shape.chart._chartSpace
                out += [(number, el.text or "") for el in xml.iter(f"{C}v", f"{A}t")]
        out.append((number, slide.notes_slide.notes_text_frame.text))
    return out


def small_runs(prs, min_pt: float = MIN_PT) -> list[tuple[int, str, float]]:
    """(slide, shape, size) of every run, paragraph or chart text set below `min_pt`."""
    found = []
    for number, slide in enumerate(prs.slides, start=1):
        for shape in slide.shapes:
            element = shape.chart._chartSpace if shape.has_chart else shape._element
            for tag in ("rPr", "defRPr", "endParaRPr"):
                for rpr in element.iter(f"{A}{tag}"):
                    size = rpr.get("sz")
                    if size is not None and int(size) < min_pt * 100:
                        found.append((number, shape.name, int(size) / 100))
    return found
