"""Complaints: record (any channel), acknowledge, answer, escalate, close; the queue
(overdue first), a complaint's timeline, a borrower's complaints and the figures the
dashboard draws. Each change is audited in its transaction."""
