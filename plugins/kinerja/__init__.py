"""Kinerja: the national warehouse of government social-media performance."""

__version__ = "0.1.0"
