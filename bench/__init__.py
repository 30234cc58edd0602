"""Benchmarks: each prints one JSON object and measures the machine's own limit beside it."""
