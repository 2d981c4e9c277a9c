"""Dunwell: micro-lending servicing and humane collections.

Packages (see docs/architecture.md): ``core`` (money, dates, errors), ``ledger``
(double entry), ``lending`` (products, schedules, loans, payments, delinquency),
``cob`` (close-of-business kernel and step plan), ``store`` (SQLAlchemy tables and
migrations), ``app`` (wiring, unit of work, COB runner), ``cli`` (Typer commands).
"""

__version__ = "0.1.0"
