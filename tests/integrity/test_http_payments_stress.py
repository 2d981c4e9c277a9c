"""The HTTP payment stress run at a small size: 300 payments from 8 clients against a
real ``dunwell serve`` on 127.0.0.1, killed twice and started again; one payment in
ten sent again (a replay), three keys sent again with another amount (409). Nothing
may be lost or posted twice, and ``dunwell book verify`` must pass afterwards
(bench/stress_payments.py; ``make stress`` runs it at 10,000 payments)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from integrity_books import PG_ENV, fresh_url

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import stress_payments  # noqa: E402


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get(PG_ENV),
                    reason=f"the HTTP stress run needs PostgreSQL: set {PG_ENV}")
def test_payments_sent_while_the_server_is_killed_are_posted_exactly_once(
        tmp_path: Path) -> None:
    with fresh_url("postgres") as url:
        result = stress_payments.run(stress_payments.SMALL, url, log_dir=tmp_path)
    assert result["kills_survived"] == stress_payments.SMALL.kills
    assert (result["lost"], result["duplicated"], result["amount_changed"]) == (0, 0, 0)
    assert result["payments_in_table"] == stress_payments.SMALL.payments
    assert result["conflicts_409"] == stress_payments.SMALL.conflicts
    assert result["resent_replayed"] == result["resent"]
    assert result["unexpected"] == [] and result["gave_up"] == 0
    assert result["verify_exit"] == 0 and result["verify_ok"], result["verify_failed_checks"]
