"""AUC, KS, lift and calibration on small literal examples."""

from __future__ import annotations

import numpy as np
import pytest

from dunwell.risk.metrics import auc, calibration_curve, ks, lift_table, summary

Y = np.array([0, 0, 0, 0, 1, 0, 1, 1])
P = np.array([0.1, 0.2, 0.3, 0.35, 0.4, 0.6, 0.7, 0.9])


def test_auc_counts_pairs_ordered_right_and_ties_as_half() -> None:
    # 15 good/bad pairs; the bad at 0.4 ranks below the good at 0.6: 14 of 15 right
    assert auc(Y, P) == pytest.approx(14 / 15)
    assert auc(np.array([0, 1]), np.array([0.5, 0.5])) == 0.5


def test_ks_is_the_widest_gap_between_the_score_distributions() -> None:
    # at threshold 0.4: 3 of 3 bads above, 1 of 5 goods above
    assert ks(Y, P) == pytest.approx(1 - 1 / 5)


def test_lift_table_catches_every_bad_by_the_last_decile() -> None:
    rows = lift_table(Y, P, groups=4)
    assert [r["bads"] for r in rows] == [2, 1, 0, 0]
    assert rows[0]["lift"] == pytest.approx(1.0 / (3 / 8), rel=1e-3)
    assert rows[-1]["cumulative_gain"] == 1.0


def test_calibration_curve_compares_predicted_and_observed_by_group() -> None:
    curve = calibration_curve(Y, P, bins=2)
    assert curve == [{"mean_predicted": 0.2375, "observed": 0.0, "rows": 4},
                     {"mean_predicted": 0.65, "observed": 0.75, "rows": 4}]
    assert summary(Y, P)["gini"] == pytest.approx(2 * 14 / 15 - 1, abs=1e-4)
