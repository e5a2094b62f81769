"""Rego policies shipped with the gateway (package data)."""
