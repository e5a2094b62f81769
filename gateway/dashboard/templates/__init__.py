"""Jinja2 templates of the dashboard pages (package data, read through the import system)."""
