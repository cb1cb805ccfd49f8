"""Triage benchmark: rebuild the default model from the public data and measure it."""
