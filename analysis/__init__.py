"""Compute Atlas analysis layer: data access, models and figure builders (no streamlit)."""
