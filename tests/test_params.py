"""Parameter checks: ranges and each model's rules from the catalog, with the fix in the message."""

from __future__ import annotations

import pytest

from playground.errors import ParameterError
from playground.params import (
    check_prefill,
    normalize_thinking,
    normalize_tool_choice,
    prefill_problem,
    problems,
    validate_params,
)


def test_fine_parameters_pass() -> None:
    validate_params("claude-sonnet-4-6", temperature=0.3, top_k=40, max_tokens=1000, stop=["END"])
    validate_params("claude-sonnet-4-6", thinking=2048, max_tokens=4096, tool_choice={"type": "auto"})
    validate_params("claude-opus-4-7", thinking={"type": "adaptive"}, effort="high")
    validate_params("some-unknown-model", temperature=1, top_p=0.5)  # no catalog rules for unknown ids
    assert problems("playground-tiny", temperature=0.2, top_p=0.9, top_k=3) == []


@pytest.mark.parametrize("kwargs, param, fix", [
    ({"temperature": -0.1}, "temperature", "from 0 to 1"),
    ({"temperature": float("nan")}, "temperature", "from 0 to 1"),
    ({"top_p": 2}, "top_p", "from 0 to 1"),
    ({"top_k": 0}, "top_k", "at least 1"),
    ({"top_k": 2.5}, "top_k", "whole number"),
    ({"max_tokens": 0}, "max_tokens", "at least 1"),
    ({"max_tokens": 200_000}, "max_tokens", "lower max_tokens to 128,000"),
    ({"stop": "END"}, "stop", "list of strings"),
    ({"stop": ["ok", ""]}, "stop", "stop sequence 2 is empty"),
    ({"stop": ["\n\t "]}, "stop", "whitespace"),
    ({"temperature": 0.5, "top_p": 0.9}, "top_p", "set only one"),
    ({"thinking": 512}, "thinking", "at least 1024"),
    ({"thinking": 4096, "max_tokens": 4096}, "thinking", "must be below max_tokens"),
    ({"thinking": 2048, "temperature": 0.7}, "temperature", "must be 1"),
    ({"thinking": 2048, "top_k": 5}, "top_k", "cannot be used with thinking"),
    ({"thinking": 2048, "top_p": 0.5}, "top_p", "between 0.95 and 1"),
    ({"thinking": 2048, "tool_choice": {"type": "any"}}, "tool_choice", "use auto or none"),
    ({"tool_choice": {"type": "tool"}}, "tool_choice", "needs the tool's name"),
    ({"tool_choice": "sometimes"}, "tool_choice", "expected auto"),
    ({"thinking": "lots"}, "thinking", "expected a budget"),
    ({"effort": "extreme"}, "effort", "low, medium, high"),
])
def test_each_problem_names_the_parameter_and_the_fix(kwargs: dict, param: str, fix: str) -> None:
    with pytest.raises(ParameterError) as info:
        validate_params("claude-sonnet-4-6", **kwargs)
    assert info.value.param == param and fix in str(info.value) and str(info.value).startswith(param + ": ")


@pytest.mark.parametrize("model, kwargs, param", [
    ("claude-opus-4-7", {"temperature": 0.5}, "temperature"),        # sampling removed
    ("claude-fable-5-1", {"top_k": 10}, "top_k"),
    ("claude-sonnet-5", {"temperature": 0.5}, "temperature"),        # defaults only
    ("claude-sonnet-5", {"top_k": 5}, "top_k"),
    ("claude-opus-4-7", {"thinking": 2048}, "thinking"),             # adaptive only
    ("claude-fable-5-1", {"thinking": {"type": "disabled"}}, "thinking"),  # always thinks
    ("claude-fable-5-1", {"tool_choice": {"type": "any"}}, "tool_choice"),
    ("claude-haiku-4-5", {"effort": "low"}, "effort"),               # no effort setting
    ("opus", {"temperature": 0.5}, "temperature"),                   # aliases resolve
])
def test_per_model_rules(model: str, kwargs: dict, param: str) -> None:
    with pytest.raises(ParameterError) as info:
        validate_params(model, **kwargs)
    assert info.value.param == param


def test_defaults_only_model_accepts_the_default() -> None:
    validate_params("claude-sonnet-5", temperature=1.0, top_p=1.0, thinking={"type": "adaptive"})


def test_problems_lists_everything_at_once() -> None:
    found = problems("claude-sonnet-4-6", temperature=3, top_k=0, stop=[""], thinking=100)
    assert [p.split(":")[0] for p in found] == ["temperature", "top_k", "stop", "thinking", "temperature", "top_k"]


def test_normalizers() -> None:
    assert normalize_thinking(2048) == {"type": "enabled", "budget_tokens": 2048}
    assert normalize_thinking("adaptive") == {"type": "adaptive"}
    assert normalize_thinking(None) is None and normalize_thinking(0) is None
    original = {"type": "adaptive", "display": "omitted"}
    assert normalize_thinking(original) == original and normalize_thinking(original) is not original
    assert normalize_tool_choice("none") == {"type": "none"}
    with pytest.raises(ParameterError):
        normalize_thinking(True)


PREFILLED = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello,"}]


@pytest.mark.parametrize("model", ["claude-sonnet-4-6", "claude-opus-4-6", "claude-opus-4-7", "sonnet", "fable"])
def test_prefill_is_refused_for_4_6_and_newer(model: str) -> None:
    with pytest.raises(ParameterError) as info:
        check_prefill(model, PREFILLED)
    assert info.value.param == "messages"
    message = str(info.value)
    assert message.startswith("messages: Claude ") and "does not accept a prefill" in message
    assert "remove the trailing assistant turn or pick a model that allows prefill, such as Claude Opus 4.5." in message


@pytest.mark.parametrize("model, messages", [
    ("claude-sonnet-4-5", PREFILLED),
    ("claude-opus-4-5-20251101", PREFILLED),  # a dated alias of a model that allows it
    ("playground-tiny", PREFILLED),
    ("some-unknown-model", PREFILLED),  # unknown ids are the server's business
    ("claude-sonnet-4-6", PREFILLED[:1]),
    ("claude-sonnet-4-6", [*PREFILLED, {"role": "user", "content": "Go on"}]),
    ("claude-sonnet-4-6", []),
])
def test_prefill_allowed_or_absent(model: str, messages: list) -> None:
    assert prefill_problem(model, messages) is None
    check_prefill(model, messages)


def test_tool_choice_disable_parallel_flag() -> None:
    choice = {"type": "any", "disable_parallel_tool_use": True}
    assert normalize_tool_choice(choice) == choice and normalize_tool_choice(choice) is not choice
    with pytest.raises(ParameterError, match="disable_parallel_tool_use must be True or False, got 'yes'"):
        normalize_tool_choice({"type": "auto", "disable_parallel_tool_use": "yes"})
