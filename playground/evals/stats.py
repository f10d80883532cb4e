"""Statistics for an eval, pure functions over plain numbers (no I/O, no scipy).

Conventions (the README's "Evaluate" section says the same):

* a case's score is the mean of its repeats; a variant's score is the mean over cases, with the
  95% interval ``mean ± t(0.975, n-1)·SE`` over cases (the unit of sampling is the case, not the
  attempt: repeats of one case are not independent evidence);
* pass rate: Wilson's interval when every case has one attempt; otherwise the case-clustered
  interval: Wilson's at the effective sample size ``N / deff``, where the design effect ``deff`` is the
  cluster-robust variance ``n/(n-1)·Σ(y_i - p·m_i)²/N²`` over the binomial ``p(1-p)/N``, clipped to
  ``[1, N/n]`` (``N/n`` when it cannot be estimated);
* a challenger is compared with the baseline on the cases both scored: the mean paired difference
  ± t·SE, wins/ties/losses, an exact two-sided sign test (Holm-adjusted across challengers), and a
  verdict that is ``better``/``worse`` only when the 95% interval excludes 0 and the paired t-test
  survives Holm's correction across challengers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Z_975 = 1.959963984540054  # the standard normal's 0.975 quantile
ALPHA = 0.05
POWER = 0.80  # for the smallest detectable difference
TIE_EPS = 1e-12
BETTER, WORSE, NO_DIFFERENCE = "better", "worse", "no detectable difference"


# -- Student's t distribution ----------------------------------------------------------------------
def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularized incomplete beta (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 1000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / (c if abs(c) > tiny else tiny)
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / (c if abs(c) > tiny else tiny)
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    if df <= 0:
        raise ValueError(f"degrees of freedom must be positive, got {df}")
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t (``t_quantile(0.975, 4) = 2.776445…``), by bisection on the
    CDF to far below 1e-6."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be strictly between 0 and 1, got {p}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    if p == 0.5:
        return 0.0
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-13 * max(1.0, hi):
            break
    return 0.5 * (lo + hi)


# -- descriptive -----------------------------------------------------------------------------------
def mean(values: Sequence[float]) -> float:
    """Arithmetic mean (ValueError on an empty sequence)."""
    if not values:
        raise ValueError("mean of no values")
    return math.fsum(values) / len(values)


def sample_sd(values: Sequence[float]) -> float:
    """Standard deviation with n-1 in the denominator (0 for a single value)."""
    n = len(values)
    if n < 2:
        return 0.0
    m = mean(values)
    return math.sqrt(math.fsum((v - m) ** 2 for v in values) / (n - 1))


def median(values: Sequence[float]) -> float | None:
    """The middle value (mean of the two middle ones for an even count); None when empty."""
    if not values:
        return None
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


@dataclass(frozen=True)
class Interval:
    """An estimate with its 95% interval (``low``/``high`` None when it cannot be computed, n < 2)."""

    estimate: float
    low: float | None
    high: float | None
    n: int


def mean_interval(values: Sequence[float]) -> Interval:
    """``mean ± t(0.975, n-1)·sd/√n``; no interval for fewer than two values."""
    n = len(values)
    m = mean(values)
    if n < 2:
        return Interval(m, None, None, n)
    half = t_quantile(0.975, n - 1) * sample_sd(values) / math.sqrt(n)
    return Interval(m, m - half, m + half, n)


def wilson(passes: float, n: float, z: float = Z_975) -> Interval:
    """Wilson's score interval for ``passes`` out of ``n`` independent trials (``n`` may be an
    effective, non-integer sample size)."""
    if n <= 0:
        raise ValueError("Wilson interval of no trials")
    p = passes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(max(0.0, p * (1 - p)) / n + z * z / (4 * n * n)) / denom
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half), int(round(n)))


def design_effect(per_case: Sequence[tuple[int, int]]) -> float:
    """How much clustering by case inflates the variance of the pass rate: the cluster-robust variance
    ``n/(n-1)·Σ(y_i - p·m_i)²/N²`` over the binomial ``p(1-p)/N``, kept between 1 (repeats as good as
    new cases) and ``N/n`` (repeats add nothing); ``N/n`` when it cannot be estimated (n < 2, p = 0 or 1)."""
    n = len(per_case)
    total = sum(m for _, m in per_case)
    p = sum(y for y, _ in per_case) / total
    most = total / n
    v_binom = p * (1 - p) / total
    if n < 2 or v_binom == 0:
        return most
    v_cluster = n / (n - 1) * math.fsum((y - p * m) ** 2 for y, m in per_case) / total ** 2
    return min(max(v_cluster / v_binom, 1.0), most)


def clustered_pass_rate(per_case: Sequence[tuple[int, int]]) -> Interval:
    """Pass rate over attempts grouped by case, ``per_case = [(passes, attempts), ...]``: ``Σy/N`` with
    Wilson's interval at the effective sample size ``N / design_effect`` (so it stays inside [0, 1]
    and is honest at 0% and 100%)."""
    cases = [(y, m) for y, m in per_case if m > 0]
    if not cases:
        raise ValueError("pass rate of no attempts")
    total = sum(m for _, m in cases)
    passes = sum(y for y, _ in cases)
    n_eff = total / design_effect(cases)
    interval = wilson(passes / total * n_eff, n_eff)
    return Interval(passes / total, interval.low, interval.high, len(cases))


def pass_rate(per_case: Sequence[tuple[int, int]]) -> Interval:
    """Wilson when every case has exactly one attempt, else the case-clustered interval."""
    cases = [(y, m) for y, m in per_case if m > 0]
    if cases and all(m == 1 for _, m in cases):
        return wilson(sum(y for y, _ in cases), len(cases))
    return clustered_pass_rate(cases)


# -- per-case consistency ----------------------------------------------------------------------------
def is_flaky(passes: Sequence[bool]) -> bool:
    """Some repeats passed and others failed."""
    return any(passes) and not all(passes)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Chance that at least one of ``k`` attempts drawn from ``n`` (``c`` passing) passes:
    ``1 - C(n-c, k)/C(n, k)`` (the unbiased estimator)."""
    _check_k(n, c, k)
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """pass^k: chance that all ``k`` attempts drawn from ``n`` (``c`` passing) pass: ``C(c, k)/C(n, k)``."""
    _check_k(n, c, k)
    return math.comb(c, k) / math.comb(n, k)


def _check_k(n: int, c: int, k: int) -> None:
    if not (0 <= c <= n and 1 <= k <= n):
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")


# -- paired comparison -----------------------------------------------------------------------------
def sign_test(wins: int, losses: int) -> float:
    """Exact two-sided sign test p-value (ties dropped): ``min(1, 2·P(X <= min(W, L)))``, X ~ Bin(W+L, ½)."""
    n = wins + losses
    if n == 0:
        return 1.0
    k = min(wins, losses)
    tail = math.fsum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2.0 * tail)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


@dataclass(frozen=True)
class Paired:
    """A challenger against the baseline on their shared cases."""

    n: int
    mean_diff: float | None
    ci_low: float | None
    ci_high: float | None
    wins: int
    ties: int
    losses: int
    p_sign: float          # exact two-sided sign test, unadjusted
    p_t: float | None      # paired t-test, unadjusted (None when it cannot be computed)
    min_detectable: float | None  # smallest difference this many cases detect at 80% power


def paired(baseline: Mapping[str, float], challenger: Mapping[str, float]) -> Paired:
    """Compare case scores (``{case_id: score}``) over the cases both have."""
    shared = [c for c in challenger if c in baseline]
    diffs = [challenger[c] - baseline[c] for c in shared]
    wins = sum(d > TIE_EPS for d in diffs)
    losses = sum(d < -TIE_EPS for d in diffs)
    ties = len(diffs) - wins - losses
    p_sign = sign_test(wins, losses)
    n = len(diffs)
    if n == 0:
        return Paired(0, None, None, None, 0, 0, 0, 1.0, None, None)
    d = mean(diffs)
    if n < 2:
        return Paired(n, d, None, None, wins, ties, losses, p_sign, None, None)
    se = sample_sd(diffs) / math.sqrt(n)
    t_crit = t_quantile(0.975, n - 1)
    if se == 0.0:
        p_t = 1.0 if abs(d) <= TIE_EPS else 0.0
    else:
        p_t = 2.0 * (1.0 - t_cdf(abs(d) / se, n - 1))
    mde = (t_crit + t_quantile(POWER, n - 1)) * se
    return Paired(n, d, d - t_crit * se, d + t_crit * se, wins, ties, losses, p_sign, p_t, mde)


def verdicts(comparisons: Sequence[Paired]) -> list[tuple[str, float]]:
    """``(verdict, Holm-adjusted sign-test p)`` per challenger, in order."""
    p_sign = holm([c.p_sign for c in comparisons])
    p_t = holm([1.0 if c.p_t is None else c.p_t for c in comparisons])
    out = []
    for comp, ps, pt in zip(comparisons, p_sign, p_t, strict=True):
        verdict = NO_DIFFERENCE
        if comp.ci_low is not None and comp.ci_high is not None and pt < ALPHA:
            if comp.ci_low > 0:
                verdict = BETTER
            elif comp.ci_high < 0:
                verdict = WORSE
        out.append((verdict, ps))
    return out
