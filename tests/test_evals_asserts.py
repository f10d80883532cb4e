"""Every assertion type: its score, pass and reason, ``not``, ``threshold``, and how a case's score
is combined."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from playground.evals.asserts import AssertResult, Observation, check_assert_spec, combine, evaluate
from playground.evals.spec import AssertSpec, Case, SpecError

CASE = Case("c1", {"country": "France", "_ideal": "Paris"}, ideal="Paris")


def spec(kind: str, value: Any = None, **options: Any) -> AssertSpec:
    negate = options.pop("not_", False)
    threshold = options.pop("threshold", None)
    weight = options.pop("weight", 1.0)
    return check_assert_spec(AssertSpec(kind, value, weight, negate, threshold, options), Path("."))


async def one(a: AssertSpec, output: str, **obs: Any) -> AssertResult:
    (result,) = await evaluate([a], CASE, Observation(output, **obs))
    return result


@pytest.mark.parametrize("kind, value, options, output, passed", [
    ("equals", "Paris", {}, "  Paris\n", True),
    ("equals", "Paris", {}, "Paris.", False),
    ("contains", "{{_ideal}}", {}, "It is Paris.", True),
    ("contains", "paris", {}, "It is Paris.", False),
    ("icontains", "{{_ideal}}", {}, "it is PARIS", True),
    ("contains_any", ["Lyon", "Paris"], {}, "Paris", True),
    ("contains_any", ["Lyon", "Nice"], {}, "Paris", False),
    ("contains_any", ["paris"], {"ignore_case": True}, "Paris", True),
    ("contains_all", ["Paris", "{{country}}"], {}, "Paris is in France", True),
    ("contains_all", ["Paris", "Seine"], {}, "Paris is in France", False),
    ("starts_with", "Paris", {}, "\n Paris is", True),
    ("starts_with", "Paris", {}, "The capital is Paris", False),
    ("regex", r"^P\w+s$", {}, "Paris", True),
    ("regex", r"^paris$", {"flags": "i"}, "Paris", True),
    ("regex", r"\d{4}", {}, "Paris", False),
    ("is_json", None, {}, '{"city": "Paris"}', True),
    ("is_json", None, {}, '```json\n{"city": "Paris"}\n```', True),
    ("is_json", None, {}, "{city: Paris}", False),
    ("is_json", None, {"required_keys": ["city", "country"]}, '{"city": "Paris"}', False),
    ("is_json", None, {"required_keys": ["city"]}, '{"city": "Paris"}', True),
    ("json_field_equals", "Paris", {"path": "answer.cities.0"}, '{"answer": {"cities": ["Paris"]}}', True),
    ("json_field_equals", 3, {"path": "n"}, '{"n": 3}', True),
    ("json_field_equals", "Paris", {"path": "answer.city"}, '{"answer": {}}', False),
    ("max_words", 3, {}, "one two three", True),
    ("max_words", 2, {}, "one two three", False),
    ("max_chars", 5, {}, "Paris", True),
    ("max_chars", 4, {}, "Paris", False),
])
async def test_plain_assertions(kind: str, value: Any, options: dict, output: str, passed: bool) -> None:
    result = await one(spec(kind, value, **options), output)
    assert result.passed is passed
    assert result.score == (1.0 if passed else 0.0)
    assert result.reason


async def test_reasons_say_what_happened() -> None:
    assert (await one(spec("max_words", 2), "a b c")).reason == "3 words (limit 2)"
    assert "missing keys country" in (await one(spec("is_json", required_keys=["city", "country"]), '{"city": 1}')).reason
    assert "expected" in (await one(spec("json_field_equals", "Lyon", path="city"), '{"city": "Paris"}')).reason


async def test_json_schema_full_validation() -> None:
    schema = {"type": "object", "required": ["city", "population"],
              "properties": {"city": {"type": "string"}, "population": {"type": "integer", "minimum": 0}}}
    a = spec("json_schema", schema)
    assert (await one(a, '{"city": "Paris", "population": 2100000}')).passed
    bad = await one(a, '{"city": "Paris", "population": -5}')
    assert not bad.passed and bad.reason == "schema violation at population: -5 is less than the minimum of 0"
    missing = await one(a, '{"city": "Paris"}')
    assert missing.reason == "schema violation at (root): 'population' is a required property"
    assert not (await one(a, "not json")).passed


def test_json_schema_refuses_an_invalid_schema_and_reads_a_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"asserts\[0\] \(json_schema\): not a valid JSON Schema"):
        spec("json_schema", {"type": "no-such-type"})
    (tmp_path / "s.json").write_text('{"type": "array"}')
    a = check_assert_spec(AssertSpec("json_schema", None, options={"schema_file": "s.json"}), tmp_path)
    assert a.options["_schema"] == {"type": "array"}
    with pytest.raises(SpecError, match="schema_file: file not found"):
        check_assert_spec(AssertSpec("json_schema", None, options={"schema_file": "nope.json"}), tmp_path)


async def test_similar_text_is_a_ratio_with_a_threshold() -> None:
    r = await one(spec("similar_text", "Paris"), "Paris")
    assert (r.score, r.passed) == (1.0, True)
    r = await one(spec("similar_text", "abcd"), "abXY")  # SequenceMatcher: 2·2/8 = 0.5
    assert r.score == pytest.approx(0.5) and not r.passed  # default threshold 0.8
    r = await one(spec("similar_text", "abcd", threshold=0.5), "abXY")
    assert r.passed


async def test_latency_cost_and_stop_reason() -> None:
    assert (await one(spec("latency_ms", 500), "x", latency_ms=499.0)).passed
    assert not (await one(spec("latency_ms", 500), "x", latency_ms=501.0)).passed
    assert (await one(spec("cost_usd", 0.01), "x", cost_usd=0.009)).passed
    assert not (await one(spec("cost_usd", 0.01), "x", cost_usd=None)).passed  # unpriced: not assumed free
    assert (await one(spec("stop_reason_is", "end_turn"), "x", stop_reason="end_turn")).passed
    assert (await one(spec("stop_reason_is", ["end_turn", "stop_sequence"]), "x", stop_reason="stop_sequence")).passed
    assert not (await one(spec("stop_reason_is", "end_turn"), "x", stop_reason="max_tokens")).passed


async def test_not_negates_and_threshold_sets_the_pass_mark() -> None:
    r = await one(spec("contains", "sorry", not_=True), "Paris")
    assert (r.score, r.passed) == (1.0, True) and r.reason.startswith("not: ")
    r = await one(spec("similar_text", "abcd", not_=True, threshold=0.4), "abXY")  # 1 - .5 = .5 >= .4
    assert r.score == pytest.approx(0.5)


async def test_grader_assertions_use_the_grade_function() -> None:
    seen: list[tuple[str, Any]] = []

    async def grade(a: AssertSpec, value: Any, case: Case, obs: Observation) -> tuple[int, str, dict]:
        seen.append((a.type, value))
        return (4 if a.type == "llm_rubric" else 2), "because", {"grader_model": "g", "rubric": value}

    rubric = spec("llm_rubric", "Names {{country}}'s capital", grader_model="claude-haiku-4-5")
    ideal = spec("ideal_match", pass_at=3)
    r1, r2 = await evaluate([rubric, ideal], CASE, Observation("Paris"), grade)
    assert (r1.score, r1.passed, r1.details["grade"], r1.details["grader_model"]) == (0.75, True, 4, "g")
    assert (r2.score, r2.passed) == (0.25, False)  # grade 2 < pass_at 3
    assert seen == [("llm_rubric", "Names France's capital"), ("ideal_match", None)]


async def test_human_is_pending_until_graded_and_left_out_of_the_score() -> None:
    h = spec("human")
    c = spec("contains", "Paris")
    results = await evaluate([h, c], CASE, Observation("Paris"))
    assert (results[0].score, results[0].passed) == (None, None)
    assert combine(results, None) == (1.0, True)
    graded = await evaluate([h, c], CASE, Observation("Paris"), human={0: (1, "wrong tone")})
    assert graded[0].score == 0.0 and graded[0].passed is False
    assert combine(graded, None) == (0.5, False)


def test_combine_weighted_mean_and_thresholds() -> None:
    rs = [AssertResult("a", 1.0, True, "", weight=2), AssertResult("b", 0.0, False, "", weight=1)]
    assert combine(rs, None) == (pytest.approx(2 / 3), False)       # without a threshold: all must pass
    assert combine(rs, 0.6) == (pytest.approx(2 / 3), True)         # with one: the weighted score decides
    assert combine(rs, 0.7) == (pytest.approx(2 / 3), False)
    assert combine([], None) == (None, None)


@pytest.mark.parametrize("kind, value, options, message", [
    ("nope", "x", {}, r"unknown assertion type 'nope'"),
    ("contains", None, {}, r"asserts\[0\] \(contains\)\.value: expected a string"),
    ("contains_any", "Paris", {}, r"expected a non-empty list of strings"),
    ("max_words", -1, {}, r"whole number of at least 0"),
    ("regex", "(unclosed", {}, r"not a valid regular expression"),
    ("regex", "x", {"flags": "q"}, r"flags: use letters"),
    ("json_field_equals", "x", {}, r"path: give the field's dotted path"),
    ("llm_rubric", "ok", {"pass_at": 6}, r"pass_at: expected a grade from 1 to 5"),
    ("contains", "x", {"bogus": 1}, r"unknown field 'bogus'"),
])
def test_bad_assertions_are_named(kind: str, value: Any, options: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        spec(kind, value, **options)
