"""Vigie's bridge: Icinga 2 notifications in, helpdesk tickets, SLA and bills out."""

__version__ = "0.1.0"
