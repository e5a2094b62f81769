"""Column mappings shipped with the gateway (TOML files, read with importlib.resources)."""
