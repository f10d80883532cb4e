"""The settings controls: per-model gating, thinking budget vs max_tokens, and the pre-send checks."""

from __future__ import annotations

from playground import catalog
from playground.settings import FIELDS, RunSettings
from playground.ui.controls import max_tokens_for_thinking, model_controls, settings_problems

DEFAULTS = RunSettings().to_ui()  # the Playground's controls as a fresh page shows them


def _problems(**overrides: object) -> str:
    values = {**DEFAULTS, **overrides}
    return settings_problems(*[values[k] for k in FIELDS])


def test_models_without_sampling_parameters_disable_them_with_the_reason() -> None:
    temp, top_p, top_k, thinking, effort, note = model_controls("claude-opus-4-7", "budget")
    assert temp["interactive"] is False and top_p["interactive"] is False and top_k["interactive"] is False
    assert "does not accept temperature, top_p or top_k" in note
    assert thinking["choices"] == ["off", "adaptive"] and thinking["value"] == "off"  # budget is not offered


def test_values_the_new_model_does_not_take_are_cleared_and_named() -> None:
    temp, top_p, top_k, thinking, effort, note = model_controls("claude-opus-4-7", "budget", "0.5", "", "3", "")
    assert temp["value"] == "" and top_p["value"] == "" and top_k["value"] == ""  # nothing hidden is sent
    assert "Cleared for Claude Opus 4.7: temperature, top_k, budget thinking" in note


def test_the_effort_trap_clears_effort_and_its_hint_does_not_stick() -> None:
    # Effort `low` on Sonnet 4.6, then Haiku 4.5 (no effort): disabled *and* cleared, with the reason
    *_, effort, note = model_controls("claude-haiku-4-5", "off", "", "", "", "low")
    assert effort["interactive"] is False and effort["value"] == ""
    assert effort["info"] == "Claude Haiku 4.5 has no effort setting." and "Cleared for Claude Haiku 4.5: effort" in note
    assert _problems(model="claude-haiku-4-5", effort=effort["value"]) == ""
    # a model with effort picked afterwards shows the normal hint, not Haiku's reason
    *_, effort, note = model_controls("claude-sonnet-4-6", "off", "", "", "", "")
    assert effort["interactive"] is True and "no effort setting" not in effort["info"] and "Cleared" not in note


def test_the_offline_model_takes_every_knob() -> None:
    temp, top_p, top_k, thinking, effort, note = model_controls(catalog.EMULATOR_MODEL, "budget")
    assert temp["interactive"] and top_p["interactive"] and top_k["interactive"] and effort["interactive"]
    assert thinking["value"] == "budget"
    assert "not both" not in note


def test_unknown_models_are_not_checked() -> None:
    *_, note = model_controls("my-fine-tune")
    assert note.startswith("Unknown model")
    assert _problems(model="my-fine-tune", temperature="0.5", top_p="0.5") == ""


def test_rejected_combinations_are_flagged_with_the_fix() -> None:
    assert _problems(model=catalog.EMULATOR_MODEL) == ""
    text = _problems(model="claude-sonnet-4-6", temperature="0.5", top_p="0.9")
    assert "top_p" in text and "only one" in text
    assert "budget" in _problems(model=catalog.EMULATOR_MODEL, thinking="budget", thinking_budget=4096,
                                 max_tokens=1024)
    assert _problems(tools="[{").startswith("- **Check:** tools: not valid JSON")


def test_the_check_line_names_what_the_model_does_not_take() -> None:
    # a value set before the model changed (e.g. through a preset) is left out of the request: the check says so
    assert _problems(model="claude-haiku-4-5", effort="low") == (
        "- **Check:** effort not sent: Claude Haiku 4.5 has no effort setting.")


def test_picking_budget_thinking_makes_room_for_the_answer() -> None:
    # the defaults (max_tokens 1024, budget 2048) would be refused by the API: max_tokens is raised
    raised = max_tokens_for_thinking("budget", RunSettings().thinking_budget, RunSettings().max_tokens, catalog.EMULATOR_MODEL)
    assert raised["value"] == RunSettings().thinking_budget + RunSettings().max_tokens
    assert _problems(model=catalog.EMULATOR_MODEL, thinking="budget", max_tokens=raised["value"]) == ""
    # never past the model's output limit
    info = catalog.get("claude-haiku-4-5")
    assert max_tokens_for_thinking("budget", info.max_output - 100, 4096, info.id)["value"] == info.max_output
    untouched = {"__type__": "update"}  # gr.skip(): the box keeps what the user typed
    assert max_tokens_for_thinking("budget", 2048, 4096, catalog.EMULATOR_MODEL) == untouched  # already room
    assert max_tokens_for_thinking("off", 2048, 1024, catalog.EMULATOR_MODEL) == untouched
    assert max_tokens_for_thinking("adaptive", 2048, 1024, catalog.EMULATOR_MODEL) == untouched
    assert max_tokens_for_thinking("budget", "", 1024, catalog.EMULATOR_MODEL) == untouched  # blank: the check says
