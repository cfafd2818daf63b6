"""Phase bands come from the phases table: one band per phase, with the report's years."""

from __future__ import annotations

import plotly.graph_objects as go

from analysis.phases import add_phase_bands, phases


def test_bands_follow_the_phase_table(db_con):
    table = phases(db_con)
    assert list(table["phase_id"]) == ["infrastructure", "development", "commercial"]
    fig = add_phase_bands(go.Figure(), table, "en", x_max=2032.5)
    spans = [(s.x0, s.x1) for s in fig.layout.shapes]
    # 2023–2025 and 2026–2028 inclusive; "after 2028" (2028年后) from 2028½ to the axis end.
    assert spans == [(2022.5, 2025.5), (2025.5, 2028.5), (2028.5, 2032.5)]
    labels = [a.text for a in fig.layout.annotations]
    assert labels[0].startswith("AIGC infrastructure phase") and "2023年~2025年" in labels[0]


def test_a_band_that_ends_before_it_starts_is_not_drawn(db_con):
    fig = add_phase_bands(go.Figure(), phases(db_con), "zh", x_max=2028.0)
    assert len(fig.layout.shapes) == 2
    assert fig.layout.annotations[0].text.startswith("AIGC基建期")
