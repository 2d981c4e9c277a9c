"""Identity's use cases: users and their roles (:mod:`.accounts`), API tokens
(:mod:`.tokens`), password sign-in and web sessions (:mod:`.sessions`) and borrowers'
one-time sign-in codes (:mod:`.codes`). Secrets are made here (``secrets``), hashed
here (SHA-256 for random tokens, Argon2id for passwords) and never stored or logged;
every sign-in, failed sign-in, token created or revoked and role changed is written to
the hash-chained audit log in the same transaction."""
