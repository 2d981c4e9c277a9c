"""The dashboard's queries: the book's rows through the unit of work, the figures from
:mod:`dunwell.analytics`."""
