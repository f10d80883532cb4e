"""From finished attempts to the numbers a user reads: per variant mean ± CI over cases, pass rate
with its interval, consistency (flaky, pass@k, pass^k), cost, latency, errors, and the paired
comparison with the baseline; then the gate the command line's exit code checks."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import stats
from .runner import Attempt
from .spec import EvalSpec


@dataclass
class CaseResult:
    """One (variant, case) cell: its scored repeats and errors."""

    case: str
    scores: list[float]
    passes: list[bool]
    errors: int
    threshold: float | None

    @property
    def score(self) -> float | None:
        """Mean over scored repeats (None when none was scored)."""
        return stats.mean(self.scores) if self.scores else None

    @property
    def flaky(self) -> bool:
        return stats.is_flaky(self.passes)

    @property
    def passed(self) -> bool | None:
        """The case passes when its mean reaches its threshold, or (without one) when every repeat passed."""
        if not self.scores:
            return None
        if self.threshold is not None:
            return self.score >= self.threshold - 1e-12
        return all(self.passes)


@dataclass
class Comparison:
    """A challenger against the baseline (``vs_baseline`` in the JSON)."""

    mean_diff: float | None
    ci_low: float | None
    ci_high: float | None
    wins: int
    ties: int
    losses: int
    p_value: float           # exact two-sided sign test, Holm-adjusted across challengers
    verdict: str
    n_shared: int
    p_value_unadjusted: float
    min_detectable_diff: float | None

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass
class VariantSummary:
    """Everything the summary table shows for one variant."""

    id: str
    n_cases: int                 # cases with at least one scored attempt
    n_attempts: int              # attempts made, errored ones included
    errors: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    pass_rate: float | None
    pass_ci_low: float | None
    pass_ci_high: float | None
    cost_usd: float
    latency_ms_p50: float | None
    input_tokens: int
    output_tokens: int
    flaky_cases: list[str]
    k: int
    pass_at_k: float | None
    pass_hat_k: float | None
    cases: dict[str, CaseResult] = field(default_factory=dict)
    vs_baseline: Comparison | None = None

    def case_scores(self) -> dict[str, float]:
        """``{case_id: mean score}`` over the cases that have one."""
        return {c: r.score for c, r in self.cases.items() if r.score is not None}


@dataclass
class GateResult:
    passed: bool
    reasons: list[str]


@dataclass
class Summary:
    """The whole run's statistics. ``gate`` is None when the spec has no [gate]."""

    name: str
    baseline: str
    repeats: int
    n_cases: int
    variants: list[VariantSummary]
    attempts: list[Attempt]
    errors: int
    error_rate: float
    spent_usd: float
    stopped: str | None
    gate: GateResult | None

    def variant(self, variant_id: str) -> VariantSummary:
        return next(v for v in self.variants if v.id == variant_id)


def _variant(spec: EvalSpec, vid: str, attempts: Sequence[Attempt], k: int) -> VariantSummary:
    thresholds = {c.id: (c.threshold if c.threshold is not None else spec.threshold) for c in spec.cases}
    cells: dict[str, CaseResult] = {}
    for c in spec.cases:
        cells[c.id] = CaseResult(c.id, [], [], 0, thresholds[c.id])
    for a in sorted(attempts, key=lambda a: a.repeat):
        cell = cells[a.case]
        if a.error is not None:
            cell.errors += 1
        elif a.score is not None:
            cell.scores.append(a.score)
            cell.passes.append(bool(a.passed))
    scored = {c: r for c, r in cells.items() if r.scores}
    case_means = [r.score for r in scored.values()]
    ok = [a for a in attempts if a.error is None]
    interval = stats.mean_interval(case_means) if case_means else None
    rate = stats.pass_rate([(sum(r.passes), len(r.passes)) for r in scored.values()]) if scored else None
    at_k = [stats.pass_at_k(len(r.passes), sum(r.passes), k) for r in scored.values() if len(r.passes) >= k]
    hat_k = [stats.pass_hat_k(len(r.passes), sum(r.passes), k) for r in scored.values() if len(r.passes) >= k]
    return VariantSummary(
        id=vid, n_cases=len(scored), n_attempts=len(attempts), errors=sum(a.error is not None for a in attempts),
        mean=interval.estimate if interval else None, ci_low=interval.low if interval else None,
        ci_high=interval.high if interval else None, pass_rate=rate.estimate if rate else None,
        pass_ci_low=rate.low if rate else None, pass_ci_high=rate.high if rate else None,
        cost_usd=math.fsum(a.cost_usd or 0.0 for a in attempts),
        latency_ms_p50=stats.median([a.latency_ms for a in ok if a.latency_ms is not None]),
        input_tokens=sum(a.input_tokens for a in attempts), output_tokens=sum(a.output_tokens for a in attempts),
        flaky_cases=[c for c, r in scored.items() if r.flaky], k=k,
        pass_at_k=stats.mean(at_k) if at_k else None, pass_hat_k=stats.mean(hat_k) if hat_k else None,
        cases=cells,
    )


def summarize(spec: EvalSpec, attempts: Sequence[Attempt], *, repeats: int | None = None,
              stopped: str | None = None, spent_usd: float = 0.0) -> Summary:
    """The statistics of ``attempts`` (any subset of a run: a stopped run is summarized as it is)."""
    k = repeats or spec.repeats
    by_variant: dict[str, list[Attempt]] = defaultdict(list)
    for a in attempts:
        by_variant[a.variant].append(a)
    variants = [_variant(spec, v.id, by_variant[v.id], k) for v in spec.variants]
    base = next(v for v in variants if v.id == spec.baseline)
    challengers = [v for v in variants if v.id != spec.baseline]
    pairs = [stats.paired(base.case_scores(), v.case_scores()) for v in challengers]
    for v, pair, (verdict, p_adj) in zip(challengers, pairs, stats.verdicts(pairs), strict=True):
        v.vs_baseline = Comparison(pair.mean_diff, pair.ci_low, pair.ci_high, pair.wins, pair.ties, pair.losses,
                                   p_adj, verdict, pair.n, pair.p_sign, pair.min_detectable)
    errors = sum(a.error is not None for a in attempts)
    summary = Summary(spec.name, spec.baseline, k, len(spec.cases), variants, list(attempts), errors,
                      errors / len(attempts) if attempts else 0.0, spent_usd, stopped, None)
    summary.gate = check_gate(spec, summary)
    return summary


def check_gate(spec: EvalSpec, summary: Summary) -> GateResult | None:
    """The [gate]: the baseline's lower 95% bound at least ``min_mean``, its pass rate at least
    ``min_pass_rate``, and with ``no_regression`` no variant significantly worse than the baseline."""
    gate = spec.gate
    if gate is None:
        return None
    base = summary.variant(spec.baseline)
    reasons = []
    if gate.min_mean is not None:
        if base.ci_low is None:
            reasons.append(f"min_mean: the baseline {base.id!r} has {base.n_cases} scored case(s), too few for an "
                           "interval")
        elif base.ci_low < gate.min_mean:
            reasons.append(f"min_mean: the baseline {base.id}'s lower 95% bound {base.ci_low:.3f} is below "
                           f"{gate.min_mean:g}")
    if gate.min_pass_rate is not None and (base.pass_rate is None or base.pass_rate < gate.min_pass_rate):
        shown = "none" if base.pass_rate is None else f"{base.pass_rate:.3f}"
        reasons.append(f"min_pass_rate: the baseline {base.id}'s pass rate {shown} is below {gate.min_pass_rate:g}")
    if gate.no_regression:
        for v in summary.variants:
            if v.vs_baseline is not None and v.vs_baseline.verdict == stats.WORSE:
                reasons.append(f"no_regression: {v.id!r} is worse than the baseline by "
                               f"{-v.vs_baseline.mean_diff:.3f}")
    return GateResult(not reasons, reasons)
