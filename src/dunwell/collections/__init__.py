"""Collections: cases opened and closed from loan facts (``cases``), strategies as
YAML data with their ladders of steps (``strategy``, ``spec``, ``ladder``, ``checks``,
``coverage``), the engine that proposes today's steps and splits champion from
challenger (``engine``), promises to pay (``promises``) and collector call queues
(``queues``). Pure: no database, no clock, no randomness; the business date and the
seed come in. Proposals are only proposals: the compliance guard decides each one.
See docs/collections.md."""
