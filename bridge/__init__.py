"""Vigie's bridge: Icinga 2 notifications in, helpdesk tickets, SLA and bills out.

Its folders are its layers, each importing only those below it: ``entrypoints`` (the
``vigie`` command) call ``services`` (one function per use case), which use the ``store``
and the ``adapters`` (Icinga, mail); all of them read ``config`` and ask the ``domain``,
where every contract rule is decided.
"""

__version__ = "0.1.0"
