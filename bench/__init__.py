"""Kesu's benchmark suite: `kesu bench` (see README, "Benchmarks", and RESULTS.md)."""
