"""Frozen schema values, the bridge from models to schema, and the literals codec."""
