"""Benchmark and load test of Compute Atlas (run on demand: `make bench`, `make loadtest`; not part of the tests)."""
