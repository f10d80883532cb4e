"""The eval statistics against values worked out by hand (and printed t tables)."""

from __future__ import annotations

import math

import pytest

from playground.evals import stats
from playground.evals.runner import Attempt
from playground.evals.spec import parse_spec
from playground.evals.summary import summarize

# Student's t, 0.975 quantile, from the printed tables (9 decimals).
T_975 = {1: 12.706204736, 2: 4.302652730, 3: 3.182446305, 4: 2.776445105, 5: 2.570581836,
         10: 2.228138852, 30: 2.042272456, 100: 1.983971519}


@pytest.mark.parametrize("df, expected", sorted(T_975.items()))
def test_t_quantile_matches_the_table(df: int, expected: float) -> None:
    assert stats.t_quantile(0.975, df) == pytest.approx(expected, abs=1e-6)


def test_t_quantile_other_levels_and_symmetry() -> None:
    assert stats.t_quantile(0.8, 3) == pytest.approx(0.978472312, abs=1e-6)
    assert stats.t_quantile(0.95, 10) == pytest.approx(1.812461123, abs=1e-6)
    assert stats.t_quantile(0.025, 4) == pytest.approx(-2.776445105, abs=1e-6)
    assert stats.t_cdf(stats.t_quantile(0.975, 7), 7) == pytest.approx(0.975, abs=1e-12)


def test_mean_interval_by_hand() -> None:
    # mean 0.6; squared deviations .16+.01+.36+.16+.01 = .70, var .175, SE sqrt(.035) = .187083
    iv = stats.mean_interval([1, 0.5, 0, 1, 0.5])
    half = math.sqrt(0.035) * 2.776445105
    assert iv.estimate == pytest.approx(0.6)
    assert (iv.low, iv.high) == (pytest.approx(0.6 - half, abs=1e-9), pytest.approx(0.6 + half, abs=1e-9))
    assert half == pytest.approx(0.519425, abs=1e-6)
    one = stats.mean_interval([0.7])
    assert (one.estimate, one.low, one.high) == (0.7, None, None)


def test_wilson_by_hand() -> None:
    iv = stats.wilson(8, 10)  # the textbook example: 0.4902 to 0.9433
    assert (iv.low, iv.high) == (pytest.approx(0.490162, abs=1e-6), pytest.approx(0.943318, abs=1e-6))
    zero = stats.wilson(0, 8)  # z²/(n+z²) = 3.841459/11.841459
    assert (zero.low, zero.high) == (0.0, pytest.approx(3.841459 / 11.841459, abs=1e-6))


def test_clustered_pass_rate_by_hand() -> None:
    # N=8, p=.5, n=4 cases; residuals y - p·m: 1, 0, 0, -1 -> cluster variance 4/3·2/64 = 1/24;
    # binomial variance .25/8 = 1/32; design effect 4/3 (inside [1, N/n = 2]) -> n_eff 6 -> Wilson(3 of 6).
    per_case = [(2, 2), (1, 2), (1, 2), (0, 2)]
    assert stats.design_effect(per_case) == pytest.approx(4 / 3)
    iv = stats.clustered_pass_rate(per_case)
    z2 = 1.959963984540054 ** 2
    half = math.sqrt(z2) * math.sqrt(0.25 / 6 + z2 / 144) / (1 + z2 / 6)
    assert iv.estimate == 0.5
    assert (iv.low, iv.high) == (pytest.approx(0.5 - half, abs=1e-9), pytest.approx(0.5 + half, abs=1e-9))
    assert iv.low == pytest.approx(0.187616, abs=1e-6)


def test_clustered_design_effect_is_capped_and_all_fail_is_not_a_zero_width_interval() -> None:
    # [(3,3),(1,3),(0,3)]: cluster var 7/81 over binomial 20/729 = 3.15 -> capped at N/n = 3
    assert stats.design_effect([(3, 3), (1, 3), (0, 3)]) == 3
    # every repeat of every case failed: n_eff = the 8 cases, not the 24 attempts
    iv = stats.pass_rate([(0, 3)] * 8)
    assert (iv.estimate, iv.low) == (0.0, 0.0)
    assert iv.high == pytest.approx(stats.wilson(0, 8).high, abs=1e-12)
    # single repeats -> plain Wilson
    assert stats.pass_rate([(1, 1)] * 8 + [(0, 1)] * 2).high == pytest.approx(stats.wilson(8, 10).high)


def test_paired_comparison_by_hand() -> None:
    base = {"a": 0.5, "b": 1.0, "c": 0.0, "d": 0.5}
    challenger = {"a": 1.0, "b": 1.0, "c": 0.5, "d": 1.0, "e": 1.0}  # e is not shared: left out
    p = stats.paired(base, challenger)
    # diffs .5, 0, .5, .5: mean .375, sd .25, SE .125, t(3) = 3.182446
    assert (p.n, p.wins, p.ties, p.losses) == (4, 3, 1, 0)
    assert p.mean_diff == pytest.approx(0.375)
    assert p.ci_low == pytest.approx(0.375 - 0.125 * 3.182446305, abs=1e-6)
    assert p.ci_high == pytest.approx(0.375 + 0.125 * 3.182446305, abs=1e-6)
    assert p.p_sign == pytest.approx(0.25)          # 2 · (1/2)^3
    assert p.p_t == pytest.approx(0.057669, abs=1e-5)  # t = 3 on 3 df
    assert p.min_detectable == pytest.approx((3.182446305 + 0.978472312) * 0.125, abs=1e-6)
    assert stats.verdicts([p]) == [(stats.NO_DIFFERENCE, 0.25)]  # the interval holds 0


def test_sign_test_exact_values() -> None:
    assert stats.sign_test(9, 1) == pytest.approx(22 / 1024)  # 2·(C(10,0)+C(10,1))/2^10
    assert stats.sign_test(0, 5) == pytest.approx(1 / 16)
    assert stats.sign_test(3, 3) == 1.0
    assert stats.sign_test(0, 0) == 1.0


def test_holm() -> None:
    # sorted .01·3 = .03, .03·2 = .06, .04·1 = .04 -> monotone .06
    assert stats.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert stats.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def test_verdicts_better_worse_and_holm_across_challengers() -> None:
    base = {str(i): 0.0 for i in range(6)}
    better = stats.paired(base, {str(i): 1.0 for i in range(6)})  # every case +1, SE 0
    worse = stats.paired({k: 1.0 for k in base}, {k: 0.5 + 0.1 * (int(k) % 2) for k in base})
    assert [v for v, _ in stats.verdicts([better, worse])] == [stats.BETTER, stats.WORSE]
    # sign test: 6 wins -> 2/64 = .03125; Holm over two challengers doubles the smaller p
    (_, p_better), (_, p_worse) = stats.verdicts([better, worse])
    assert p_better == pytest.approx(2 * 0.03125) and p_worse == pytest.approx(2 * 0.03125)
    # diffs .2 .1 .3 0 .4: mean .2, SE .0707, t = 2.828 on 4 df, p = .0474: alone, better ...
    d = [0.2, 0.1, 0.3, 0.0, 0.4]
    single = stats.paired({str(i): 0.0 for i in range(5)}, {str(i): x for i, x in enumerate(d)})
    assert single.ci_low == pytest.approx(0.2 - 2.776445105 * math.sqrt(0.025 / 5), abs=1e-9) and single.ci_low > 0
    assert single.p_t == pytest.approx(0.047421, abs=1e-5)
    assert stats.verdicts([single])[0][0] == stats.BETTER
    # ... but as one of two such challengers, Holm doubles the smaller p to .095: no detectable difference
    assert [v for v, _ in stats.verdicts([single, single])] == [stats.NO_DIFFERENCE] * 2


def test_consistency_measures() -> None:
    assert stats.pass_at_k(3, 1, 2) == pytest.approx(2 / 3)   # 1 - C(2,2)/C(3,2)
    assert stats.pass_hat_k(3, 2, 2) == pytest.approx(1 / 3)  # C(2,2)/C(3,2)
    assert stats.pass_at_k(3, 0, 3) == 0 and stats.pass_hat_k(3, 3, 3) == 1
    assert stats.is_flaky([True, False]) and not stats.is_flaky([True, True]) and not stats.is_flaky([False])
    assert stats.median([3, 1, 2, 10]) == 2.5 and stats.median([]) is None
    with pytest.raises(ValueError):
        stats.pass_at_k(2, 1, 3)


SPEC = """
[eval]
name = "s"
repeats = 3
[defaults]
model = "claude-haiku-4-5"
[[variants]]
id = "v1"
prompt = "{{q}}"
[[variants]]
id = "v2"
prompt = "{{q}}!"
[[cases]]
_id = "a"
q = "x"
[[cases]]
_id = "b"
q = "y"
[[asserts]]
type = "contains"
value = "x"
[gate]
min_mean = 0.5
"""


def _attempt(variant: str, case: str, repeat: int, score: float | None, error: str | None = None,
             cost: float = 0.001, latency: float = 100.0) -> Attempt:
    return Attempt(variant, case, repeat, {}, "", score=score, passed=None if score is None else score >= 1,
                   error=error, cost_usd=cost, latency_ms=latency)


def test_summary_averages_repeats_per_case_and_keeps_errors_apart() -> None:
    spec = parse_spec(SPEC)
    attempts = [
        _attempt("v1", "a", 0, 1.0), _attempt("v1", "a", 1, 0.0), _attempt("v1", "a", 2, 1.0),
        _attempt("v1", "b", 0, 1.0), _attempt("v1", "b", 1, None, error="APIStatusError: 529", latency=9999),
        _attempt("v1", "b", 2, 1.0, latency=300),
        _attempt("v2", "a", 0, 0.0), _attempt("v2", "a", 1, 0.0), _attempt("v2", "a", 2, 0.0),
        _attempt("v2", "b", 0, 1.0), _attempt("v2", "b", 1, 1.0), _attempt("v2", "b", 2, 1.0),
    ]
    s = summarize(spec, attempts)
    v1, v2 = s.variants
    # v1: case a = 2/3, case b = 1 (the error is not a 0) -> mean 5/6, not the attempt mean 4/5
    assert v1.mean == pytest.approx(5 / 6)
    assert (v1.n_cases, v1.n_attempts, v1.errors) == (2, 6, 1)
    assert v1.pass_rate == pytest.approx(4 / 5)  # 4 of the 5 scored attempts
    assert v1.flaky_cases == ["a"]
    assert v1.latency_ms_p50 == 100.0  # the errored attempt's latency is left out
    assert v1.cost_usd == pytest.approx(0.006)
    # pass@3 per case: a (3 scored, 2 pass) = 1; b has only 2 scored repeats (< k) and is left out
    assert v1.pass_at_k == 1.0 and v1.pass_hat_k == 0.0
    # v2 vs v1: diffs a: 0 - 2/3, b: 1 - 1 -> W/T/L 0/1/1
    c = v2.vs_baseline
    assert (c.wins, c.ties, c.losses) == (0, 1, 1)
    assert c.mean_diff == pytest.approx(-1 / 3)
    assert c.verdict == stats.NO_DIFFERENCE
    assert v1.vs_baseline is None
    # gate: baseline lower bound 5/6 - t(1)·SE; SE = sd(2/3, 1)/√2 = 1/6 -> far below 0.5
    assert v1.ci_low == pytest.approx(5 / 6 - 12.706204736 / 6, abs=1e-6)
    assert s.gate is not None and not s.gate.passed and "min_mean" in s.gate.reasons[0]
    assert s.errors == 1 and s.error_rate == pytest.approx(1 / 12)
