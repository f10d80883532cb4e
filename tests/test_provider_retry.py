"""The retry policy: which responses are retried and how long to wait."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from playground.transport.retry import RetryPolicy, server_delay


@pytest.mark.parametrize("status, headers, retry", [
    (408, {}, True), (409, {}, True), (429, {}, True), (500, {}, True), (503, {}, True), (529, {}, True),
    (400, {}, False), (401, {}, False), (404, {}, False), (413, {}, False),
    (400, {"x-should-retry": "true"}, True), (529, {"x-should-retry": "false"}, False),
])
def test_should_retry(status: int, headers: dict, retry: bool) -> None:
    assert RetryPolicy().should_retry(status, headers) is retry


def test_server_delay_forms() -> None:
    assert server_delay({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert server_delay({"retry-after": "3"}) == 3.0
    assert 8 <= server_delay({"retry-after": formatdate(time.time() + 10, usegmt=True)}) <= 10
    assert server_delay({"retry-after": "soon"}) is None
    assert server_delay({}) is None


def test_backoff_with_jitter_and_cap() -> None:
    policy = RetryPolicy()
    for n, (low, high) in enumerate([(0.375, 0.5), (0.75, 1.0), (1.5, 2.0), (3.0, 4.0), (6.0, 8.0), (6.0, 8.0)]):
        delays = {policy.delay(n) for _ in range(50)}
        assert all(low <= d <= high for d in delays) and len(delays) > 1  # jittered
    assert policy.delay(0, {"retry-after": "2"}) == 2.0
    assert policy.delay(0, {"retry-after": "0"}) == 0.0
    assert 0.375 <= policy.delay(0, {"retry-after": "3600"}) <= 0.5  # too long: back off instead
