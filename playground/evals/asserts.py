"""The assertion library: each type turns one reply into a score in [0, 1], a pass and a reason.

    results = await evaluate(spec.asserts, case, observation, grader)
    score, passed = combine(results, threshold)

``not = true`` negates (score ``1 - s``, pass flipped); ``threshold`` makes pass ``score >= threshold``.
Grader types (``llm_rubric``, ``ideal_match``) ask a grader model (see :mod:`.grading`); ``human`` waits
for a grade entered in the UI and is left out of the score until then.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..structured import first_error, parse_json, schema_problem
from .spec import AssertSpec, Case, SpecError, render_value, variables


@dataclass(frozen=True)
class Observation:
    """What an attempt produced, as the assertions see it."""

    output: str
    latency_ms: float | None = None
    cost_usd: float | None = None
    stop_reason: str | None = None


@dataclass
class AssertResult:
    """One assertion's verdict. ``score``/``passed`` are None while a ``human`` grade is pending."""

    type: str
    score: float | None
    passed: bool | None
    reason: str
    weight: float = 1.0
    details: dict[str, Any] = field(default_factory=dict)  # grader model, rubric, grade...

    def to_json(self) -> dict[str, Any]:
        """The pinned ``{"type", "score", "pass", "reason"}`` plus weight and details."""
        return {"type": self.type, "score": self.score, "pass": self.passed, "reason": self.reason,
                "weight": self.weight, **({"details": self.details} if self.details else {})}


Check = Callable[[AssertSpec, Any, Observation], tuple[float, bool, str]]
GRADER_TYPES = ("llm_rubric", "ideal_match")
HUMAN = "human"


# -- the plain checks --------------------------------------------------------------------------------
def _show(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _binary(ok: bool, reason: str) -> tuple[float, bool, str]:
    return (1.0 if ok else 0.0), ok, reason


def _equals(a: AssertSpec, value: Any, obs: Observation) -> tuple[float, bool, str]:
    want = str(value)
    ok = obs.output.strip() == want.strip()
    return _binary(ok, f"output {'equals' if ok else 'differs from'} {_show(want)}")


def _contains(a: AssertSpec, value: Any, obs: Observation) -> tuple[float, bool, str]:
    ok = str(value) in obs.output
    return _binary(ok, f"{'found' if ok else 'did not find'} {_show(str(value))}")


def _icontains(a: AssertSpec, value: Any, obs: Observation) -> tuple[float, bool, str]:
    ok = str(value).casefold() in obs.output.casefold()
    return _binary(ok, f"{'found' if ok else 'did not find'} {_show(str(value))} (ignoring case)")


def _found(value: Any, obs: Observation, icase: bool) -> list[str]:
    out = obs.output.casefold() if icase else obs.output
    return [str(v) for v in value if (str(v).casefold() if icase else str(v)) in out]


def _contains_any(a: AssertSpec, value: Any, obs: Observation) -> tuple[float, bool, str]:
    found = _found(value, obs, bool(a.options.get("ignore_case")))
    return _binary(bool(found), f"found {', '.join(map(_show, found))}" if found else "found none of them")


def _contains_all(a: AssertSpec, value: Any, obs: Observation) -> tuple[float, bool, str]:
    found = _found(value, obs, bool(a.options.get("ignore_case")))
    missing = [str(v) for v in value if str(v) not in found]
    return _binary(not missing, "found all" if not missing else f"missing {', '.join(map(_show, missing))}")


def _starts_with(a: AssertSpec, value: Any, obs: Observation) -> tuple[float, bool, str]:
    ok = obs.output.lstrip().startswith(str(value))
    return _binary(ok, f"output {'starts' if ok else 'does not start'} with {_show(str(value))}")


_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}


def _regex(a: AssertSpec, value: Any, obs: Observation) -> tuple[float, bool, str]:
    flags = 0
    for ch in a.options.get("flags", ""):
        flags |= _FLAGS[ch]
    try:
        match = re.search(str(value), obs.output, flags)
    except re.error as exc:  # only a templated pattern can get here: static ones are checked up front
        return _binary(False, f"the pattern {_show(str(value))} is not a valid regex: {exc}")
    return _binary(match is not None, f"matched {_show(match.group(0))}" if match else f"no match for /{value}/")


parse_json_output = parse_json  # the reply as JSON: playground.structured owns it (the chat's badge uses it too)


def _is_json(a: AssertSpec, value: Any, obs: Observation) -> tuple[float, bool, str]:
    data, problem = parse_json_output(obs.output)
    if problem:
        return _binary(False, problem)
    keys = a.options.get("required_keys") or []
    if keys:
        if not isinstance(data, dict):
            return _binary(False, f"valid JSON, but a {type(data).__name__}, not an object with {', '.join(keys)}")
        missing = [k for k in keys if k not in data]
        if missing:
            return _binary(False, f"valid JSON, missing keys {', '.join(missing)}")
    return _binary(True, "valid JSON" + (" with every required key" if keys else ""))


def _json_schema(a: AssertSpec, value: Any, obs: Observation) -> tuple[float, bool, str]:
    data, problem = parse_json_output(obs.output)
    if problem:
        return _binary(False, problem)
    error = first_error(data, a.options["_schema"])
    if error is None:
        return _binary(True, "matches the schema")
    path, message = error
    return _binary(False, f"schema violation at {'/'.join(map(str, path)) or '(root)'}: {message}")


_MISSING = object()


def dotted(data: Any, path: str) -> Any:
    """``data`` at ``a.b.0.c`` (list indexes as numbers); ``_MISSING`` when a step is absent."""
    for step in path.split("."):
        if isinstance(data, dict) and step in data:
            data = data[step]
        elif isinstance(data, list) and step.lstrip("-").isdigit() and -len(data) <= int(step) < len(data):
            data = data[int(step)]
        else:
            return _MISSING
    return data


def _json_field_equals(a: AssertSpec, value: Any, obs: Observation) -> tuple[float, bool, str]:
    data, problem = parse_json_output(obs.output)
    if problem:
        return _binary(False, problem)
    path = a.options["path"]
    got = dotted(data, path)
    if got is _MISSING:
        return _binary(False, f"no field {path}")
    ok = got == value or (isinstance(got, str | int | float) and not isinstance(got, bool)
                          and isinstance(value, str) and str(got) == value)
    return _binary(ok, f"{path} = {json.dumps(got)}" + ("" if ok else f", expected {json.dumps(value)}"))


def _max_words(a: AssertSpec, value: Any, obs: Observation) -> tuple[float, bool, str]:
    n = len(obs.output.split())
    return _binary(n <= value, f"{n} words (limit {value})")


def _max_chars(a: AssertSpec, value: Any, obs: Observation) -> tuple[float, bool, str]:
    n = len(obs.output)
    return _binary(n <= value, f"{n} characters (limit {value})")


SIMILAR_DEFAULT_THRESHOLD = 0.8


def _similar_text(a: AssertSpec, value: Any, obs: Observation) -> tuple[float, bool, str]:
    ratio = difflib.SequenceMatcher(None, obs.output.strip(), str(value).strip(), autojunk=False).ratio()
    limit = SIMILAR_DEFAULT_THRESHOLD if a.threshold is None else a.threshold
    return ratio, ratio >= limit, f"similarity {ratio:.3f} (needs {limit:g})"


def _latency_ms(a: AssertSpec, value: Any, obs: Observation) -> tuple[float, bool, str]:
    if obs.latency_ms is None:
        return _binary(False, "no latency recorded")
    return _binary(obs.latency_ms <= value, f"{obs.latency_ms:.0f} ms (limit {value:g} ms)")


def _cost_usd(a: AssertSpec, value: Any, obs: Observation) -> tuple[float, bool, str]:
    if obs.cost_usd is None:
        return _binary(False, "no price known for this model")
    return _binary(obs.cost_usd <= value, f"${obs.cost_usd:.6f} (limit ${value:g})")


def _stop_reason_is(a: AssertSpec, value: Any, obs: Observation) -> tuple[float, bool, str]:
    wanted = [value] if isinstance(value, str) else list(value)
    ok = obs.stop_reason in wanted
    return _binary(ok, f"stop_reason {obs.stop_reason}" + ("" if ok else f", expected {' or '.join(wanted)}"))


CHECKS: dict[str, Check] = {
    "equals": _equals, "contains": _contains, "icontains": _icontains, "contains_any": _contains_any,
    "contains_all": _contains_all, "starts_with": _starts_with, "regex": _regex, "is_json": _is_json,
    "json_schema": _json_schema, "json_field_equals": _json_field_equals, "max_words": _max_words,
    "max_chars": _max_chars, "similar_text": _similar_text, "latency_ms": _latency_ms, "cost_usd": _cost_usd,
    "stop_reason_is": _stop_reason_is,
}
TYPES: tuple[str, ...] = (*CHECKS, *GRADER_TYPES, HUMAN)

# Per type: what ``value`` must be ("str", "strs", "int", "number", "any", "optional-str", None = unused)
# and which extra fields it takes.
_VALUE_KIND = {
    "equals": "str", "contains": "str", "icontains": "str", "contains_any": "strs", "contains_all": "strs",
    "starts_with": "str", "regex": "str", "is_json": None, "json_schema": "schema", "json_field_equals": "any",
    "max_words": "int", "max_chars": "int", "similar_text": "str", "latency_ms": "number", "cost_usd": "number",
    "stop_reason_is": "str-or-strs", "llm_rubric": "str", "ideal_match": "optional-str", "human": None,
}
_OPTIONS = {
    "contains_any": {"ignore_case"}, "contains_all": {"ignore_case"}, "regex": {"flags"},
    "is_json": {"required_keys"}, "json_schema": {"schema_file"}, "json_field_equals": {"path"},
    "llm_rubric": {"grader_model", "pass_at"}, "ideal_match": {"grader_model", "pass_at"},
    "human": {"pass_at"},
}


def check_assert_spec(a: AssertSpec, base_dir: Path) -> AssertSpec:
    """Check one ``[[asserts]]`` table against its type (SpecError naming ``asserts[i]`` and the field);
    returns it with a json_schema's schema loaded and checked."""
    where = f"asserts[{a.index}] ({a.type})"
    if a.type not in TYPES:
        raise SpecError(f"asserts[{a.index}].type: unknown assertion type {a.type!r} (known: {', '.join(TYPES)})")
    allowed = _OPTIONS.get(a.type, set())
    for key in a.options:
        if key not in allowed:
            extra = f" (it takes: {', '.join(sorted(allowed))})" if allowed else ""
            raise SpecError(f"{where}: unknown field {key!r}{extra}")
    kind, value = _VALUE_KIND[a.type], a.value
    number = isinstance(value, int | float) and not isinstance(value, bool)
    problems = {
        "str": isinstance(value, str) or number,
        "strs": isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value),
        "str-or-strs": isinstance(value, str) or isinstance(value, list) and bool(value)
                       and all(isinstance(v, str) for v in value),
        "int": isinstance(value, int) and not isinstance(value, bool) and value >= 0,
        "number": number and math.isfinite(value) and value >= 0,
        "any": value is not None,
        "optional-str": value is None or isinstance(value, str),
        "schema": True, None: True,
    }
    if not problems[kind]:
        wanted = {"str": "a string", "strs": "a non-empty list of strings", "str-or-strs": "a string or a list of strings",
                  "int": "a whole number of at least 0", "number": "a number of at least 0",
                  "any": "the expected value", "optional-str": "a string"}[kind]
        raise SpecError(f"{where}.value: expected {wanted}, got {value!r}")
    options = dict(a.options)
    if a.type == "regex":
        flags = options.get("flags", "")
        if not isinstance(flags, str) or any(ch not in _FLAGS for ch in flags):
            raise SpecError(f"{where}.flags: use letters from \"ims\", got {flags!r}")
        if not variables(str(value)):
            try:
                re.compile(str(value))
            except re.error as exc:
                raise SpecError(f"{where}.value: not a valid regular expression: {exc}") from None
    if a.type == "is_json":
        keys = options.get("required_keys", [])
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise SpecError(f"{where}.required_keys: expected a list of key names")
    if a.type == "json_field_equals" and not (isinstance(options.get("path"), str) and options["path"]):
        raise SpecError(f"{where}.path: give the field's dotted path, like path = \"user.name\"")
    if a.type == "json_schema":
        options["_schema"] = _load_schema(a, options, base_dir, where)
    if a.type in (*GRADER_TYPES, HUMAN):
        pass_at = options.get("pass_at", 4)
        if not isinstance(pass_at, int) or isinstance(pass_at, bool) or not 1 <= pass_at <= 5:
            raise SpecError(f"{where}.pass_at: expected a grade from 1 to 5, got {pass_at!r}")
        if "grader_model" in options and not isinstance(options["grader_model"], str):
            raise SpecError(f"{where}.grader_model: expected a model id")
    return replace(a, options=options)


def _load_schema(a: AssertSpec, options: dict[str, Any], base_dir: Path, where: str) -> dict[str, Any]:
    if (a.value is None) == ("schema_file" not in options):
        raise SpecError(f"{where}: give the schema as value = {{...}} or schema_file = \"schema.json\" (one of them)")
    schema = a.value
    if schema is None:
        path = base_dir / str(options["schema_file"])
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SpecError(f"{where}.schema_file: file not found: {path}") from None
        except (OSError, ValueError) as exc:
            raise SpecError(f"{where}.schema_file: cannot read {path} as JSON: {exc}") from None
    if not isinstance(schema, dict | bool):
        raise SpecError(f"{where}.value: a JSON Schema is a table (object), got {schema!r}")
    if (problem := schema_problem(schema)) is not None:
        raise SpecError(f"{where}: not a valid JSON Schema: {problem}")
    return schema


# -- evaluation -------------------------------------------------------------------------------------
def grade_score(grade: int) -> float:
    """A 1-5 grade as a score: 1 -> 0, 3 -> 0.5, 5 -> 1."""
    return (grade - 1) / 4


def graded_result(a: AssertSpec, grade: int, reason: str, details: Mapping[str, Any]) -> AssertResult:
    """The result of a grade from a grader or a person (pass at ``pass_at``, default 4)."""
    pass_at = a.options.get("pass_at", 4)
    return finish(a, grade_score(grade), grade >= pass_at, f"grade {grade}/5: {reason}".rstrip(": "),
                  {**details, "grade": grade, "pass_at": pass_at})


def finish(a: AssertSpec, score: float, passed: bool, reason: str, details: Mapping[str, Any] | None = None
           ) -> AssertResult:
    """Apply ``not`` and ``threshold`` to a raw verdict."""
    if a.negate:
        score, passed, reason = 1.0 - score, not passed, f"not: {reason}"
    if a.threshold is not None and a.type != "similar_text":
        passed = score >= a.threshold
    return AssertResult(a.type, score, passed, reason, a.weight, dict(details or {}))


GradeFn = Callable[[AssertSpec, Any, Case, Observation], Awaitable[tuple[int, str, dict[str, Any]]]]


async def evaluate(asserts: Sequence[AssertSpec], case: Case, obs: Observation, grade: GradeFn | None = None,
                   human: Mapping[int, tuple[int, str]] | None = None) -> list[AssertResult]:
    """Run every assertion on ``obs``. ``grade`` answers grader types; ``human`` maps an assertion's
    index to a ``(grade, comment)`` entered in the UI."""
    out: list[AssertResult] = []
    for a in asserts:
        value = render_value(a.value, case.vars, f"asserts[{a.index}]") if a.type != "json_schema" else None
        if a.type in CHECKS:
            score, passed, reason = CHECKS[a.type](a, value, obs)
            out.append(finish(a, score, passed, reason))
        elif a.type in GRADER_TYPES:
            if grade is None:
                raise RuntimeError("a grader assertion needs a grader")
            g, reason, details = await grade(a, value, case, obs)
            out.append(graded_result(a, g, reason, details))
        else:  # human
            given = (human or {}).get(a.index)
            if given is None:
                out.append(AssertResult(a.type, None, None, "waiting for a human grade", a.weight))
            else:
                out.append(graded_result(a, given[0], given[1], {"by": "human"}))
    return out


def combine(results: Sequence[AssertResult], threshold: float | None) -> tuple[float | None, bool | None]:
    """The attempt's score (weighted mean of the scored assertions) and pass: ``score >= threshold``
    when a threshold is set, else every scored assertion passed. None when nothing is scored yet."""
    scored = [r for r in results if r.score is not None]
    total = math.fsum(r.weight for r in scored)
    if not scored:
        return None, None
    score = math.fsum(r.weight * r.score for r in scored) / total if total > 0 else mean_plain(scored)
    passed = score >= threshold - 1e-12 if threshold is not None else all(r.passed for r in scored)
    return score, passed


def mean_plain(results: Sequence[AssertResult]) -> float:
    """Unweighted mean score (when every weight is 0)."""
    return math.fsum(r.score or 0.0 for r in results) / len(results)
