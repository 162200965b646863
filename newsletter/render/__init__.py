"""Rendering: pure functions from domain values to the bytes of each output."""
