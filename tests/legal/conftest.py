"""Fixtures for the legal tests (the helpers live in ``legal_book``)."""

from legal_book import overdue_book

__all__ = ["overdue_book"]
