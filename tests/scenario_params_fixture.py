"""Scenario parameters for tests of the scenario machinery (not part of the app)."""

from analysis.scenario import Param

PARAMS = (
    Param("t_growth", 19.0, min_value=0, max_value=80, step=0.5, unit="%"),
    Param("t_horizon", 2030, kind="int", min_value=2024, max_value=2032),
    Param("t_bands", False, kind="bool"),
    Param("t_mode", "trend", kind="choice", choices=("trend", "manual")),
)
