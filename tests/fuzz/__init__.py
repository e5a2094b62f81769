"""Fuzz targets (atheris), their seed corpora and the pytest harnesses that replay them."""
