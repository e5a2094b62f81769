"""crypto stage."""
