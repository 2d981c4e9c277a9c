"""Close of business: the ordered step plan, the row-by-row reference rules
(``rules``) and the columnar kernel over NumPy/Arrow batches (``kernel``) that
implements the same rules for a whole partition at once. Pure: the business day
comes in; new columns, postings and events come out."""
