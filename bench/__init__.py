"""Benchmarks: synthetic data, loading, and dashboard timings against DuckDB."""
