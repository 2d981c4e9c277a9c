"""Negotiation: hardship assessments, affordability, ranked repayment offers with the
lender's expected net present value, the approval authority matrix, restructured
schedules and the entries they propose, and plan monitoring. Pure."""
