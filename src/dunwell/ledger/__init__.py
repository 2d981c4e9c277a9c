"""Double-entry ledger: the chart of accounts for lending, immutable journal entries
whose lines always balance (checked when built), reversals that point at what they
reverse, and balances by account and by loan as of any date. Pure: other packages
propose entries; only the ledger builds them."""
