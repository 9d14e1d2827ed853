"""Deterministic workload descriptions, neutral to any migration tool."""
