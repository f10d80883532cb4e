"""What a run will ask: every (variant, case, repeat) attempt with its exact request, and the cost
check shown before it starts (calls, cache hits, typical and upper-bound cost, against the cap).

Costs are list prices from ``playground.catalog`` on every backend, the offline one included, so a
rehearsal shows what the real run would cost. The upper bound prices every uncached call at its full
``max_tokens`` with a deliberately high input estimate (``playground.tuning.cost``); the typical cost
assumes replies of a quarter of ``max_tokens``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .. import catalog
from ..backends import Target
from ..tuning.cost import estimate_input_tokens
from .asserts import GRADER_TYPES
from .cache import ResponseCache
from .client import Request, attempt_seed, build_request, cache_key
from .grading import GRADER_MAX_TOKENS, GRADER_SYSTEM, grader_prompt
from .spec import Case, EvalSpec, Variant, render

TYPICAL_OUTPUT_FRACTION = 0.25
GRADER_TOOL_TOKENS = 300  # the grade tool's definition and framing, on top of the prompt


@dataclass(frozen=True)
class PlannedAttempt:
    """One attempt to make: where it belongs, its request and cache key, and its cost bounds."""

    variant: str
    case: str
    repeat: int
    prompt: str
    request: Request
    key: str
    upper_usd: float       # this call and its grader calls, at most
    typical_usd: float
    grader_calls: int
    grader_upper_usd: float = 0.0  # the graders' share of upper_usd
    grader_typical_usd: float = 0.0
    unpriced: tuple[str, ...] = ()

    @property
    def slot(self) -> tuple[str, str, int]:
        return (self.variant, self.case, self.repeat)


def _model(target: Target, request: Request) -> str:
    return request.model or target.provider.get_model("")


def _price(model: str, input_tokens: int, output_tokens: int, batch: bool = False) -> float | None:
    return catalog.cost_usd(model, input_tokens, output_tokens, batch=batch)


def plan_attempts(spec: EvalSpec, target: Target, repeats: int | None = None, *,
                  batch: bool = False) -> list[PlannedAttempt]:
    """Every attempt of ``spec`` on ``target``, in the run's order (shuffled by ``eval.seed``, so
    the order is fixed for a seed and no variant always goes first under rate limits). ``batch``:
    the model calls are priced as Message Batch requests (grader calls stay normal calls)."""
    n_repeats = repeats or spec.repeats
    out = []
    for variant in spec.variants:
        for case in spec.cases:
            for repeat in range(n_repeats):
                out.append(_plan_one(spec, target, variant, case, repeat, batch))
    random.Random(spec.seed).shuffle(out)
    return out


def _plan_one(spec: EvalSpec, target: Target, variant: Variant, case: Case, repeat: int,
              batch: bool = False) -> PlannedAttempt:
    prompt = render(variant.prompt, case.vars, f"variant {variant.id!r} prompt")
    system = render(variant.settings.get("system") or "", case.vars, f"variant {variant.id!r} system")
    request = build_request(variant.settings, prompt, system, target.kind, attempt_seed(spec.seed, repeat))
    model = _model(target, request)
    max_tokens = int(request.kwargs.get("max_tokens", 1024))
    tokens_in = estimate_input_tokens(system + prompt)
    unpriced: list[str] = []
    upper = _price(model, tokens_in, max_tokens, batch)
    typical = _price(model, tokens_in, max(1, round(max_tokens * TYPICAL_OUTPUT_FRACTION)), batch)
    if upper is None:
        unpriced.append(model)
        upper = typical = 0.0
    graders = [a for a in spec.asserts if a.type in GRADER_TYPES]
    g_upper_sum = g_typical_sum = 0.0
    for a in graders:
        gmodel = a.options.get("grader_model") or spec.grader_model or model  # as grading.Grader picks it
        text = GRADER_SYSTEM + grader_prompt(a.type, str(a.value or ""), "", case.ideal)
        g_in = estimate_input_tokens(text) + max_tokens + GRADER_TOOL_TOKENS
        g_upper = _price(gmodel, g_in, GRADER_MAX_TOKENS)
        g_typical = _price(gmodel, estimate_input_tokens(text) + round(max_tokens * TYPICAL_OUTPUT_FRACTION)
                           + GRADER_TOOL_TOKENS, GRADER_MAX_TOKENS // 4)
        if g_upper is None:
            unpriced.append(gmodel)
        else:
            g_upper_sum += g_upper
            g_typical_sum += g_typical or 0.0
    return PlannedAttempt(variant.id, case.id, repeat, prompt, request, cache_key(target, request, repeat),
                          upper + g_upper_sum, (typical or 0.0) + g_typical_sum, len(graders),
                          g_upper_sum, g_typical_sum, tuple(unpriced))


@dataclass
class CostCheck:
    """The pre-run line: how many calls, how many answered from the cache or already done, and the
    typical and upper-bound cost of the rest against the cap."""

    attempts: int = 0
    done: int = 0          # finished in an earlier run of this run directory (resume)
    calls: int = 0         # model calls to make, grader calls included
    cached: int = 0        # attempts the response cache will answer
    typical_usd: float = 0.0
    upper_usd: float = 0.0
    cap_usd: float | None = None
    unpriced: list[str] = field(default_factory=list)

    @property
    def over_cap(self) -> bool:
        """The upper bound is above the cap, so the run is refused before it starts."""
        return self.cap_usd is not None and self.upper_usd > self.cap_usd + 1e-12

    def describe(self) -> str:
        """One line for the terminal and the UI."""
        parts = [f"{self.attempts} attempts"]
        if self.done:
            parts.append(f"{self.done} already done")
        parts.append(f"{self.calls} calls ({self.cached} cached)")
        parts.append(f"typical ${self.typical_usd:.4f}, at most ${self.upper_usd:.4f}")
        line = ", ".join(parts)
        if self.cap_usd is not None:
            line += f" (cap ${self.cap_usd:.2f}{': REFUSED, the upper bound is above the cap' if self.over_cap else ''})"
        if self.unpriced:
            line += f"; no price known for {', '.join(sorted(set(self.unpriced)))} (counted as $0)"
        return line


def cost_check(planned: list[PlannedAttempt], done: set[tuple[str, str, int]], cache: ResponseCache | None,
               cap_usd: float | None) -> CostCheck:
    """Add up what the attempts not yet ``done`` may cost (cached ones cost nothing but their graders)."""
    check = CostCheck(attempts=len(planned), cap_usd=cap_usd)
    for p in planned:
        if p.slot in done:
            check.done += 1
            continue
        check.unpriced += p.unpriced
        hit = cache is not None and p.key in cache
        if hit:
            check.cached += 1
            check.calls += p.grader_calls  # only the graders may still be asked
            check.upper_usd += p.grader_upper_usd
            check.typical_usd += p.grader_typical_usd
            continue
        check.calls += 1 + p.grader_calls
        check.upper_usd += p.upper_usd
        check.typical_usd += p.typical_usd
    return check

