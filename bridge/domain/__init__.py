"""The contract's rules, pure: every rule R1..R16 the bridge applies is decided here.

``contract`` (levels, rates, customers as values), ``notification`` (an Icinga event),
``incidents`` (the decision table: what an event does to the tickets), ``tickets`` (the
records and how a ticket is opened), ``refusals`` (what staff may not do, as values naming
their rule), ``sla`` (R1, R3, R4), ``billing``, ``fees``, ``statement`` and ``sla_report``
(R5 to R13), ``alerts`` (R14), ``times``. No I/O, no clock: values in, values out.
"""
