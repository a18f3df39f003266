"""``vigie.yaml``: its model (frozen values), loading (YAML, the cache) and validation.

``model`` holds the validated configuration, ``load`` finds and reads the file (or its cached
copy, ``cache``), ``validate`` and ``sections`` check it key by key, ``yaml_reader`` parses
YAML strictly and ``holidays`` computes public holidays (R1) for the calendar.
"""
