"""The embedded store: SQLite's ``schema`` and migrations, the ``repository`` (the only SQL),
the ``unit_of_work`` (one transaction), its ``errors``, and the ``spool`` that keeps events
while the database cannot be written. The store reads and writes; it never decides.
"""
