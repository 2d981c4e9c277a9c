"""The latency benchmark keeps working: the real server (``dunwell serve`` under
uvicorn, in a subprocess) answers a short open-loop load. No timing assertions."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import origination_latency  # noqa: E402


@pytest.mark.slow
def test_the_served_api_answers_every_application_of_a_short_load() -> None:
    sizes = origination_latency.Sizes(rate=40, seconds=1.0, warmup_seconds=0.5, connections=4)
    result = origination_latency.run(sizes)
    assert result["requests"] == 40
    assert result["statuses"] == {"201": 40}
    assert set(result["outcomes"]) <= {"approve", "decline", "refer"}
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"] <= result["max_ms"]


def test_each_generated_application_is_distinct() -> None:
    requests = origination_latency.requests_for(200, 8000, seed=3)
    assert len(set(requests)) == 200
    assert all(r.startswith(b"POST /v1/applications HTTP/1.1\r\n") for r in requests)
