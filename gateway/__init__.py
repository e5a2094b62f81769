"""Exporter-side data-sovereignty gateway for export credit insurance."""

__version__ = "0.1.0"
