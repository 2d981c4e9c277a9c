"""In-memory fakes of the store's repositories, so the application layer's rules can
be tested without a database (the SQLite and PostgreSQL suites keep testing the store
itself)."""
