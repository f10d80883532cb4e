"""The settings controls: per-model gating, thinking budget vs max_tokens, and the pre-send checks."""

from __future__ import annotations

from playground import catalog
from playground.ui.controls import max_tokens_for_thinking, model_controls, settings_problems
from playground.ui.settings import DEFAULTS, SETTING_KEYS


def _problems(**overrides: object) -> str:
    values = {**DEFAULTS, **overrides}
    return settings_problems(*[values[k] for k in SETTING_KEYS])


def test_models_without_sampling_parameters_disable_them_with_the_reason() -> None:
    temp, top_p, top_k, thinking, effort, note = model_controls("claude-opus-4-7", "budget")
    assert temp["interactive"] is False and top_p["interactive"] is False and top_k["interactive"] is False
    assert "does not accept temperature, top_p or top_k" in note
    assert thinking["choices"] == ["off", "adaptive"] and thinking["value"] == "off"  # budget is not offered


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
    assert _problems(tools="[{").startswith("**Check:** tools: not valid JSON")


def test_picking_budget_thinking_makes_room_for_the_answer() -> None:
    # the defaults (max_tokens 1024, budget 2048) would be refused by the API: max_tokens is raised
    raised = max_tokens_for_thinking("budget", DEFAULTS["thinking_budget"], DEFAULTS["max_tokens"], catalog.EMULATOR_MODEL)
    assert raised["value"] == DEFAULTS["thinking_budget"] + DEFAULTS["max_tokens"]
    assert _problems(model=catalog.EMULATOR_MODEL, thinking="budget", max_tokens=raised["value"]) == ""
    # never past the model's output limit
    info = catalog.get("claude-haiku-4-5")
    assert max_tokens_for_thinking("budget", info.max_output - 100, 4096, info.id)["value"] == info.max_output
    untouched = {"__type__": "update"}  # gr.skip(): the box keeps what the user typed
    assert max_tokens_for_thinking("budget", 2048, 4096, catalog.EMULATOR_MODEL) == untouched  # already room
    assert max_tokens_for_thinking("off", 2048, 1024, catalog.EMULATOR_MODEL) == untouched
    assert max_tokens_for_thinking("adaptive", 2048, 1024, catalog.EMULATOR_MODEL) == untouched
    assert max_tokens_for_thinking("budget", "", 1024, catalog.EMULATOR_MODEL) == untouched  # blank: the check says
