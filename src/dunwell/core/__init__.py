"""Pure building blocks: money in integer minor units, dates and day counts,
identifiers and idempotency keys, and the typed error base every domain uses."""
