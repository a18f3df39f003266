"""Vigie's check plugins, built on nagiosplugin: one module per check."""

__version__ = "0.1.0"
