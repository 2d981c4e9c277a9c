"""Channels: message kinds and their templates, the outbox's retry rules, letters
(content, numbering, verification codes, the register's states) and the provider
ports (SMS, e-mail, push, voice, letter) that adapters in ``dunwell.providers``
implement. Pure: no I/O, no clock, no template engine."""
