"""Variation metrics over repeated outputs."""

from __future__ import annotations

import pytest

from playground.tuning.variation import distinct_outputs, mean_pairwise_similarity, similarity


def test_distinct_ignores_case_and_spacing():
    assert distinct_outputs(["Hello  world", "hello world\n", "Goodbye"]) == 2
    assert distinct_outputs([]) == 0


def test_similarity_bounds():
    assert similarity("a b c", "a b c") == 1.0
    assert similarity("a b c", "x y z") == 0.0
    assert similarity("", "") == 1.0
    assert similarity("the cat sat", "the cat ran") == pytest.approx(2 / 3)


def test_mean_pairwise():
    assert mean_pairwise_similarity(["only one"]) is None
    assert mean_pairwise_similarity(["same", "same", "same"]) == 1.0
    # pairs: (a,a)=1, (a,b)=0, (a,b)=0 -> 1/3
    assert mean_pairwise_similarity(["x y", "x y", "p q"]) == pytest.approx(1 / 3)
