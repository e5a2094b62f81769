"""The default redaction policy (Rego sources, shipped as package data)."""
