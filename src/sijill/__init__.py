"""Sijill: a local-first evidence archive for testimonies and leaked documents."""

__version__ = "0.1.0"
