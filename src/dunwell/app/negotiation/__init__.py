"""Application services for negotiation."""
