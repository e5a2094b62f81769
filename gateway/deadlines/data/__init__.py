"""Shipped calendar data (read with :mod:`importlib.resources`, never by file path)."""
