"""Simulated portfolios and their operations, driven through the application layer."""
