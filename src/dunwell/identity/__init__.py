"""Identity: who acts. Users and their roles, the role × route matrix, object rules
(a borrower sees only their own loans, a collector only assigned cases, a field
agent only their day's visits), authority limits and maker-checker, and masking of
personal data by role. Pure policy: hashing, randomness and storage live in the
shell."""
