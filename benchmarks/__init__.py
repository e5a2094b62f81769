"""Benchmarks: scripts that time the gateway's stages on generated data."""
