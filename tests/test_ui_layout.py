"""The Playground's page furniture and checks as plain functions: section summaries, the field checks
(what each box says under it), error text without Markdown escapes, the Sweep's Repeats check, the
model list per backend, and the emulator's one log line for a client that went away."""

from __future__ import annotations

import asyncio
import logging

import gradio as gr

from playground import catalog
from playground.backends import Backends, get_backend
from playground.config import Config
from playground.errors import APIStatusError, ParameterError
from playground.settings import FIELDS, RunSettings
from playground.ui import layout
from playground.ui.controls import FIELD_INFO, field_checks
from playground.ui.handlers import Handlers
from playground.ui.messages import code_span, describe_error
from playground.ui.session import Session
from playground.ui.tuning.sweep import _repeats

ANTHROPIC, OFFLINE = "anthropic", "offline"


def ui_values(**changes: object) -> tuple[object, ...]:
    values = {**RunSettings().to_ui(), **changes}
    return tuple(values[k] for k in FIELDS)


def test_section_labels_say_what_is_set() -> None:
    labels = layout.section_labels(dict(zip(FIELDS, ui_values(), strict=True)))
    assert labels == {"thinking_section": "Thinking · off", "tools_panel": "Tools · none",
                      "caching_section": "Prompt caching · off",
                      "format_panel": "Response format and API version · text, 2023-06-01",
                      "offline_options": "Offline emulator options · none"}
    tools = '[{"name": "a", "input_schema": {}}, {"name": "b", "input_schema": {}}]'
    labels = layout.section_labels(dict(zip(FIELDS, ui_values(
        thinking="budget", thinking_budget=4096, effort="high", tools=tools, tool_choice="any", cache="auto",
        cache_ttl="1h", response_format='{"type": "json_object"}', fault="overloaded", endless=True),
        strict=True)))
    assert labels["thinking_section"] == "Thinking · budget 4096, effort high"
    assert labels["tools_panel"] == "Tools · 2 tools, choice any"
    assert labels["caching_section"] == "Prompt caching · whole prompt, TTL 1h"
    assert labels["format_panel"].startswith("Response format and API version · JSON")
    assert labels["offline_options"] == "Offline emulator options · fault overloaded, run to max_tokens"


def test_a_bad_value_is_said_at_its_box_and_cleared_once_fixed() -> None:
    session = Session()
    check, *marks = field_checks(session, *ui_values(max_tokens=-5))
    by_name = dict(zip(FIELD_INFO, marks, strict=True))
    assert check == "- **Check:** max_tokens: must be a whole number of at least 1, got -5."
    assert by_name["max_tokens"]["info"] == "must be a whole number of at least 1, got -5."
    assert by_name["max_tokens"]["elem_classes"] == ["invalid"]
    # the other boxes show what the page opened with: nothing is sent for them
    assert all(by_name[k] == gr.skip() for k in FIELD_INFO if k != "max_tokens")
    assert field_checks(session, *ui_values(max_tokens=-5)) == (gr.skip(),) * (1 + len(FIELD_INFO)), \
        "checked again (a Send): the page already says it"
    check, *marks = field_checks(session, *ui_values(max_tokens=40))
    by_name = dict(zip(FIELD_INFO, marks, strict=True))
    assert check == ""
    assert by_name["max_tokens"] == {**gr.update(info="", elem_classes=[])}
    assert all(by_name[k] == gr.skip() for k in FIELD_INFO if k != "max_tokens")


def test_a_model_rule_is_said_at_the_box_it_concerns() -> None:
    _, *marks = field_checks(Session(), *ui_values(model="claude-sonnet-4-6", thinking="budget", thinking_budget=500,
                                        temperature="0.5"))
    by_name = dict(zip(FIELD_INFO, marks, strict=True))
    assert by_name["thinking_budget"]["info"] == "the budget must be at least 1024 tokens, got 500."
    assert by_name["temperature"]["info"] == "with thinking on, temperature must be 1; leave it unset."


def test_error_text_has_no_escapes_inside_code() -> None:
    text = describe_error(ParameterError("top_p", "must be at most 1, got 5."))
    assert text == "**Invalid `top_p`**: must be at most 1, got 5."
    assert code_span("a`b") == "``a`b``" and code_span("`x") == "`` `x ``"
    status = describe_error(APIStatusError(400, "invalid_request_error", "bad", request_id="req_1_x"))
    assert status.endswith("request-id: `req_1_x`")


def test_repeats_are_checked_in_words() -> None:
    assert _repeats(3) == 3 and _repeats(2.0) == 2
    for value, shown in ((0, "0"), (None, "nothing"), ("", "nothing"), (1.5, "1.5"), (51, "51"), ("x", "'x'")):
        try:
            _repeats(value)
        except Exception as exc:  # noqa: BLE001 - the message is what is checked
            assert str(exc) == f"Repeats: give a whole number from 1 to 50 (got {shown}).", str(exc)
        else:
            raise AssertionError(f"{value!r} accepted")


class _FakeBackends(Backends):
    """A backend table whose /models answer is given (no emulator, no network)."""

    def __init__(self, models: list[str] | Exception) -> None:
        super().__init__(Config())
        self._answer = models

    async def models(self, kind: str, session_key: str | None = None, base_url: str | None = None) -> list[str]:
        if get_backend(getattr(kind, "kind", kind)).needs_key and not session_key:
            self.target(kind, session_key)  # raises MissingAuthError like the real table
        if isinstance(self._answer, Exception):
            raise self._answer
        return list(self._answer)


def test_the_real_api_never_lists_the_offline_model_and_a_missing_key_is_quiet(monkeypatch) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(gr, "Warning", lambda text, *a, **k: warnings.append(text))
    handlers = Handlers(_FakeBackends([catalog.EMULATOR_MODEL, "claude-sonnet-4-6"]))
    update = asyncio.run(handlers.refresh_models(ANTHROPIC, "sk-ant-x", "", catalog.EMULATOR_MODEL))
    assert update["choices"] == ["claude-sonnet-4-6"] and update["value"] == "claude-sonnet-4-6"
    update = asyncio.run(handlers.refresh_models(OFFLINE, "", "", ""))
    assert catalog.EMULATOR_MODEL in update["choices"] and update["value"] == catalog.EMULATOR_MODEL
    update = asyncio.run(handlers.refresh_models(ANTHROPIC, "", "", catalog.EMULATOR_MODEL))  # no key yet
    assert update["choices"] == [m.id for m in catalog.MODELS] and catalog.EMULATOR_MODEL not in update["choices"]
    assert update["value"] == catalog.DEFAULT_MODEL
    assert warnings == []


def test_switching_backend_updates_header_banner_and_key_hint() -> None:
    handlers = Handlers(Backends(Config()))
    _, offline_options, _, key, header, banner = handlers.backend_changed(ANTHROPIC)
    assert offline_options["visible"] is False and key["value"] == ""
    assert key["info"].startswith("Paste an Anthropic API key")
    assert 'data-backend="anthropic">Anthropic API<' in header
    assert "**Anthropic API** is selected" in banner and "offline emulator" not in banner
    *_, key, header, banner = handlers.backend_changed(OFFLINE)
    assert ">Offline emulator<" in header and "**offline emulator** is selected" in banner
    with_key = Handlers(Backends(Config(anthropic_api_key="sk-ant-server")))
    *_, key, _, banner = with_key.backend_changed(ANTHROPIC)
    assert key["info"] == "" and "server's key" in banner


async def test_a_client_that_goes_away_is_one_log_line(caplog) -> None:
    from playground.emulator import Emulator

    caplog.set_level(logging.INFO, logger="playground.emulator")
    body = {"model": catalog.EMULATOR_MODEL, "max_tokens": 4000, "stream": True,
            "messages": [{"role": "user", "content": "Tell me a long story"}]}
    async with Emulator(tokens_per_second=200) as emulator:
        reader, writer = await asyncio.open_connection(emulator.host, emulator.port)
        payload = __import__("json").dumps(body).encode()
        writer.write(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"x-api-key: k\r\nanthropic-version: 2023-06-01\r\nx-emulator-no-eos: 1\r\n"
                     b"Content-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload)
        await writer.drain()
        await reader.readuntil(b"content_block_delta")  # streaming has begun
        writer.close()
        for _ in range(200):  # bounded: the emulator notices at its next write
            if any("client closed the connection" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.02)
    lines = [r for r in caplog.records if "client closed the connection" in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelno == logging.INFO and lines[0].exc_info is None
    assert not any(r.exc_info for r in caplog.records)
