"""Origination: applications from merchants and consumers, features from their
transaction records and income, affordability (debt service ratio, sizing a loan down
to what fits), decisions (approve / decline / refer) with a risk grade, a price, a
credit limit and reasons in words (en, zh-CN), and revolving credit lines with their
limit reviews.

Pure: no database, no web framework, no clock, no environment. The credit model is a
port (:mod:`.ports`); the built-in points scorecard (:mod:`.scorecard`, data in
``scorecard.toml``) implements it until a trained model is configured. The decision
table (grades A..E, terms and their products) is data in ``policy.toml``.
"""
