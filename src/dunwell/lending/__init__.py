"""Lending: products, repayment schedules (one module per method), loans and their
state machine, payments and the allocation waterfall, accrual and delinquency
(DPD, buckets). Pure: no database, no clock; the business date comes in."""
