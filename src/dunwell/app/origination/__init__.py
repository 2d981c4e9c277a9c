"""Application services for origination: applications and decisions, merchants' and
consumers' records, drawdowns with their cost shown first, limit reviews, monitoring."""
