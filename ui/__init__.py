"""Streamlit glue shared by every page: the frame, cached data access and chart display."""
