"""Evaluate: prompts × settings × test cases × repeats, graded, with honest statistics.

The library the command line (``python -m playground.evals``) and the Evaluate tab share:

    spec = load_spec("spec.toml")                      # or parse_spec(text, base_dir); SpecError names the field
    run = EvalRun(spec, target, run_dir=..., cache=ResponseCache(dir))
    run.cost_check()                                   # CostCheck: calls, cached, typical/upper cost, cap
    async for attempt in run.run(): ...                # Attempt as each finishes; run.stop() from any thread
    summary = run.summary()                            # Summary: per-variant stats, vs baseline, gate
    to_json(summary); write_csv(...); write_junit(...); format_table(summary)
"""

from .cache import ResponseCache
from .plan import CostCheck, PlannedAttempt
from .reports import format_table, to_json, write_csv, write_json, write_junit
from .runner import Attempt, CostCapRefused, EvalRun, read_attempts
from .spec import EvalSpec, SpecError, load_spec, parse_spec
from .summary import Comparison, Summary, VariantSummary, summarize

__all__ = [
    "Attempt", "Comparison", "CostCapRefused", "CostCheck", "EvalRun", "EvalSpec", "PlannedAttempt",
    "ResponseCache", "SpecError", "Summary", "VariantSummary", "format_table", "load_spec", "parse_spec",
    "read_attempts", "summarize", "to_json", "write_csv", "write_json", "write_junit",
]
