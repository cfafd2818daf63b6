"""Linking the cycle model to the data: the inference group's midpoint from the inference-share forecast.

With the link on, the inference curve's midpoint is the year China's AI-server inference share reaches
a chosen level (from the training-vs-inference page's trend or manual path), plus a lag. The default
lag is calibrated so that, with IDC's trend, the midpoint equals the unlinked default; a faster
inference shift then moves the development phase earlier, one for one.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

from analysis.cycle import Assumptions, assumptions_from


def assumptions_for(con: duckdb.DuckDBPyConnection, scenario: Mapping[str, object]) -> Assumptions:
    """The model's assumptions for a scenario (the link to the share forecast is added separately)."""
    return assumptions_from(scenario)
