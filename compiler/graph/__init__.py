"""Immutable build-graph values: platforms, operations and states."""
