"""Synthetic bureau-style credit data with the traits real bureau extracts carry, for
testing that ``dunwell risk train`` holds up on them. The layout follows the widely
used "Give Me Some Credit" extract (serious delinquency within two years, revolving
utilisation, past-due counts, debt ratio, monthly income); every value is drawn here.

The traits, each an assumption of this generator (no real data is copied):

* **Sentinel codes** in the three past-due counts: about 2 % of rows carry ``98`` and
  0.3 % ``96`` in all three (a file not reported, a record withheld), the way such
  extracts code them. A sentinel row's real risk is near the average (a little above:
  thin files), far below the rows with several 90-day lates; a model that reads 98 as
  98 late payments overstates it.
* **Extreme ratios**: ``debt_ratio`` is monthly debt over monthly income, but where
  income is missing it is the monthly debt itself (hundreds to tens of thousands), and
  0.3 % of ``revolving_utilisation`` values are data errors in the thousands.
* **Missing income**: about 20 % of ``monthly_income`` is empty (slightly more often
  for stressed borrowers), ``dependants`` about 2.5 %.
* **Rare positives**: ``serious_delinquency_2y`` = 1 for about 6.6 % of rows (the
  intercept is solved on the drawn rows so the rate is met for every seed).

Risk comes from one latent stress per borrower that drives utilisation, past-due
counts and income; the outcome is a logistic draw on stress, counts, income, age and
utilisation.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np

BAD_RATE = 0.066
TARGET = "serious_delinquency_2y"
COLUMNS = ("borrower_id", "revolving_utilisation", "age", "times_30_59_days_late",
           "debt_ratio", "monthly_income", "open_accounts", "times_90_days_late",
           "real_estate_loans", "times_60_89_days_late", "dependants", TARGET)
NOT_REPORTED = 98
WITHHELD = 96
SENTINEL_SHARES = {NOT_REPORTED: 0.02, WITHHELD: 0.003}
MISSING_INCOME_SHARE = 0.2
Array = np.ndarray[Any, Any]


def _sigmoid(z: Array) -> Array:
    return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)


def _intercept(logit: Array, rate: float) -> float:
    """The shift that makes the mean probability ``rate`` (bisection, deterministic)."""
    lo, hi = -20.0, 20.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if _sigmoid(logit + mid).mean() < rate:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def bureau_columns(rows: int, seed: int) -> dict[str, Array]:
    """``rows`` synthetic borrowers as columns (NaN = missing), reproducible by seed."""
    rng = np.random.default_rng(seed)
    stress = rng.standard_normal(rows)
    age = np.clip(np.rint(rng.normal(51, 14, rows)), 21, 95)
    income = np.rint(np.exp(rng.normal(np.log(5400) + 0.004 * (age - 51) - 0.2 * stress, 0.6)))
    income_missing = rng.random(rows) < MISSING_INCOME_SHARE + 0.04 * (stress > 1) - 0.01
    ratio = np.exp(rng.normal(np.log(0.3) + 0.2 * stress, 0.5))
    debt_amount = np.rint(np.exp(rng.normal(np.log(1800), 1.0, rows)))
    debt_ratio = np.where(income_missing, debt_amount, np.round(ratio, 6))
    util = _sigmoid(-0.9 + 1.3 * stress + rng.normal(0, 0.8, rows))
    util = np.where(rng.random(rows) < 0.1, 0.0, util)
    errors = rng.random(rows) < 0.003
    util = np.round(np.where(errors, rng.uniform(2, 20_000, rows), util), 6)
    late_30 = rng.poisson(np.exp(-2.0 + 0.9 * stress))
    late_60 = rng.poisson(np.exp(-3.3 + 1.0 * stress))
    late_90 = rng.poisson(np.exp(-3.1 + 1.1 * stress))
    open_accounts = rng.poisson(np.exp(np.log(8) - 0.1 * stress))
    real_estate = rng.poisson(np.where(income_missing, 0.6, 1.0))
    dependants = rng.poisson(0.75, rows).astype(np.float64)
    dependants[rng.random(rows) < 0.025] = np.nan
    logit = (1.0 * stress + 0.45 * np.minimum(late_90, 5) + 0.3 * np.minimum(late_60, 5)
             + 0.2 * np.minimum(late_30, 5) - 0.25 * np.log(income / 5400)
             + 0.6 * (util > 0.9) - 0.015 * (age - 51) + 0.3 * income_missing)
    draw = rng.random(rows)
    code = np.where(draw < SENTINEL_SHARES[WITHHELD], WITHHELD,
                    np.where(draw < sum(SENTINEL_SHARES.values()), NOT_REPORTED, 0))
    logit = logit + 0.4 * (code > 0)
    bad = (rng.random(rows) < _sigmoid(logit + _intercept(logit, BAD_RATE))).astype(np.int64)
    counts = [np.where(code > 0, code, c).astype(np.float64) for c in (late_30, late_60, late_90)]
    return {
        "borrower_id": np.arange(1, rows + 1, dtype=np.float64),
        "revolving_utilisation": util, "age": age, "times_30_59_days_late": counts[0],
        "debt_ratio": debt_ratio, "monthly_income": np.where(income_missing, np.nan, income),
        "open_accounts": open_accounts.astype(np.float64),
        "times_90_days_late": counts[2], "real_estate_loans": real_estate.astype(np.float64),
        "times_60_89_days_late": counts[1], "dependants": dependants,
        TARGET: bad.astype(np.float64),
    }


def _cell(value: float) -> str:
    if np.isnan(value):
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def bureau_csv(rows: int, seed: int) -> str:
    """The same borrowers as CSV text (empty cells for missing values)."""
    cols = bureau_columns(rows, seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for i in range(rows):
        writer.writerow([_cell(float(cols[c][i])) for c in COLUMNS])
    return out.getvalue()
