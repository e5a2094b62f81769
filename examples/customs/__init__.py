"""Sample customs declarations (broker CSV downloads, JSON, UNI-PASS XML) and their generator."""
