"""Cost estimate (upper bound from catalog prices) and the per-session spend cap."""

from __future__ import annotations

import copy
import threading

import pytest

from playground import catalog
from playground.config import ConfigError
from playground.tuning.cost import SpendCap, SpendCapExceeded, estimate, estimate_input_tokens


def test_estimate_uses_catalog_prices_and_max_tokens():
    est = estimate([("claude-sonnet-4-6", 1000)] * 3 + [("playground-tiny", 1000)], input_tokens=500)
    one = (500 * 3.0 + 1000 * 15.0) / 1e6
    assert est.requests == 4
    assert est.cost_usd == pytest.approx(3 * one)
    assert est.unpriced == []
    assert "4 requests" in est.describe() and "$0.0495" in est.describe()


def test_unknown_model_is_reported_not_guessed():
    est = estimate([("my-finetune", 100)], input_tokens=10)
    assert est.cost_usd == 0 and est.unpriced == ["my-finetune"]
    assert "no price known for my-finetune" in est.describe()


def test_input_tokens_estimate_is_generous():
    text = "word " * 400  # ~400 tokens by any tokenizer
    assert estimate_input_tokens(text) >= 400
    assert estimate_input_tokens("") >= 1


def test_cap_refuses_past_the_cap_and_counts_spend():
    cap = SpendCap(0.10)
    cap.check(estimate([("claude-haiku-4-5", 1000)], 100))  # ~$0.005 fits
    big = estimate([("claude-opus-4-6", 128_000)] * 10, 100)
    with pytest.raises(SpendCapExceeded, match=r"up to \$32\.0\d+.*cap is \$0\.10"):
        cap.check(big)
    cap.add(0.08)
    assert cap.spent_usd == pytest.approx(0.08) and cap.remaining_usd == pytest.approx(0.02)
    with pytest.raises(SpendCapExceeded, match=r"\$0\.0800 is already spent"):
        cap.check(estimate([("claude-haiku-4-5", 10_000)], 100))  # $0.05 > $0.02 left
    cap.check(estimate([("playground-tiny", 10_000)] * 100, 100))  # free model always fits


def test_cap_env_default_and_thread_safety(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_SPEND_CAP_USD", "2.5")
    assert SpendCap().cap_usd == 2.5
    monkeypatch.setenv("PLAYGROUND_SPEND_CAP_USD", "lots")  # named, not silently replaced by the default
    with pytest.raises(ConfigError, match="PLAYGROUND_SPEND_CAP_USD"):
        SpendCap()
    monkeypatch.delenv("PLAYGROUND_SPEND_CAP_USD")
    assert SpendCap().cap_usd == 1.0
    cap = SpendCap(100)
    threads = [threading.Thread(target=lambda: [cap.add(0.001) for _ in range(1000)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cap.spent_usd == pytest.approx(4.0)
    fresh = copy.deepcopy(cap)
    assert fresh.spent_usd == pytest.approx(4.0) and fresh is not cap
    with pytest.raises(ValueError):
        SpendCap(-1)


def test_catalog_price_shape_is_what_we_assume():
    # The estimate leans on catalog.cost_usd; pin the unit (USD per million tokens).
    assert catalog.cost_usd("claude-haiku-4-5", 1_000_000, 0) == pytest.approx(1.0)
