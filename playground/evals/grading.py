"""Grades from a grader model for ``llm_rubric`` and ``ideal_match``: a 1-5 grade through a forced tool
call (structured on every backend), at temperature 0 where the model takes one, cached like any call.
The grader model, the rubric and the grade are recorded with the assertion's result.

Offline, the emulator fills tool arguments from the prompt, so grades there rehearse the plumbing
(calls, caching, costs), not the judgement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import catalog
from ..backends import Target
from .asserts import Observation
from .cache import ResponseCache
from .client import Reply, Request, build_request, complete
from .spec import AssertSpec, Case

GRADE_TOOL = "record_grade"
GRADER_MAX_TOKENS = 512
GRADER_SYSTEM = (
    "You grade one reply of an AI assistant. Read the criteria and the reply, then call the "
    f"{GRADE_TOOL} tool once with a grade from 1 (fails the criteria) to 5 (fully meets them) and a "
    "one-sentence reason. Judge only what the criteria ask."
)
_TOOL = {
    "name": GRADE_TOOL,
    "description": "Record the grade of the reply.",
    "input_schema": {"type": "object", "properties": {
        "grade": {"type": "integer", "minimum": 1, "maximum": 5, "description": "1 = fails, 5 = fully meets"},
        "reason": {"type": "string", "description": "one sentence"}}, "required": ["grade", "reason"]},
}


class GradingError(RuntimeError):
    """The grader could not give a grade (its call failed, or it answered without one)."""


def grader_settings(model: str) -> dict[str, Any]:
    """The grader's Playground settings: temperature 0 when the model takes a temperature."""
    info = catalog.get(model)
    takes_temperature = info is None or info.sampling not in (catalog.SamplingPolicy.NONE,
                                                              catalog.SamplingPolicy.DEFAULTS_ONLY)
    return {"model": model, "max_tokens": GRADER_MAX_TOKENS, "temperature": 0.0 if takes_temperature else None,
            "tools": [_TOOL], "tool_choice": f"tool:{GRADE_TOOL}", "thinking": "off"}


def grader_prompt(kind: str, criteria: str | None, output: str, ideal: str | None) -> str:
    """The grader's user message (it opens with the scale; offline, that fixes the rehearsal's grade)."""
    head = "Grade the reply from 1 to 5.\n"
    if kind == "ideal_match":
        asks = ("Does the reply give the same answer as the reference answer? Wording may differ; "
                "the substance must match.") + (f"\n{criteria}" if criteria else "")
        return f"{head}<criteria>\n{asks}\n</criteria>\n<reference>\n{ideal}\n</reference>\n<reply>\n{output}\n</reply>"
    return f"{head}<criteria>\n{criteria}\n</criteria>\n<reply>\n{output}\n</reply>"


@dataclass
class Grader:
    """Grades through ``target``. The grader model: the assertion's ``grader_model``, else
    ``default_model`` (``eval.grader_model``), else the graded variant's model (``fallback_model``).
    ``spent`` books every uncached grader call's cost (``on_cost`` is told too)."""

    target: Target
    default_model: str
    cache: ResponseCache | None = None
    backend: str = ""
    on_cost: Callable[[float], None] | None = None
    spent: float = 0.0
    calls: int = field(default=0)

    def request(self, a: AssertSpec, value: Any, case: Case, obs: Observation, fallback_model: str = "") -> Request:
        """The grader request for one assertion on one reply."""
        model = a.options.get("grader_model") or self.default_model or fallback_model
        model = model or self.target.provider.get_model("")
        prompt = grader_prompt(a.type, value, obs.output, case.ideal)
        return build_request(grader_settings(model), prompt, GRADER_SYSTEM, self.backend or self.target.kind, 0)

    async def __call__(self, a: AssertSpec, value: Any, case: Case, obs: Observation, fallback_model: str = ""
                       ) -> tuple[int, str, dict[str, Any]]:
        """``(grade, reason, details)``; GradingError when no grade comes back."""
        request = self.request(a, value, case, obs, fallback_model)
        reply: Reply = await complete(self.target, request, 0, self.cache)
        self.calls += 1
        if not reply.cached and reply.cost_usd:
            self.spent += reply.cost_usd
            if self.on_cost:
                self.on_cost(reply.cost_usd)
        details = {"grader_model": request.model, "rubric": value if a.type == "llm_rubric" else value or "",
                   "grader_cost_usd": reply.cost_usd, "grader_cached": reply.cached}
        if reply.error:
            raise GradingError(f"grader {request.model}: {reply.error}")
        grade = (reply.tool_input or {}).get("grade")
        if isinstance(grade, float) and grade.is_integer():
            grade = int(grade)
        if not isinstance(grade, int) or isinstance(grade, bool) or not 1 <= grade <= 5:
            raise GradingError(f"grader {request.model} gave no grade from 1 to 5 (got {grade!r})")
        reason = str((reply.tool_input or {}).get("reason") or "").strip()
        return grade, reason, details
