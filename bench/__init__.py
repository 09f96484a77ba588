"""Benchmarks: speed and memory, measured here and written up in docs/benchmarks.md."""
