"""*Count tokens* against the real offline emulator (in-process, real HTTP): the count is the one the
next run then reports as its input usage."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from playground import catalog
from playground.backends import Backends
from playground.config import Config
from playground.settings import FIELDS, RunSettings
from playground.ui.handlers import Handlers
from playground.ui.session import Session
from playground.ui.token_count import count_next_request, describe

ASSETS = Path(__file__).resolve().parents[1] / "assets"
pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def backends():
    backends = Backends(Config(emulator_tps=0))
    yield backends
    backends.close()


def _values(**overrides: object) -> list[object]:
    settings = {**RunSettings().to_ui(), "model": catalog.EMULATOR_MODEL, **overrides}
    return [settings[k] for k in FIELDS]


def _count(markdown: str) -> int:
    found = re.search(r"\*\*([\d,]+) input tokens\*\*", markdown)
    assert found, markdown
    return int(found.group(1).replace(",", ""))


async def test_the_count_is_what_the_next_run_reports(backends) -> None:
    session = Session()
    values = _values(system="You are terse.", max_tokens=30)
    prompt = {"text": "Tell me about the rabbit and the clock", "files": [str(ASSETS / "example.png")]}
    counted = _count(await count_next_request(backends, session, prompt, "", *values))
    async for _ in Handlers(backends).send(session, prompt, "", *values):
        pass
    assert session.last_run.usage.input_tokens == counted
    # the conversation so far is counted too: a follow-up costs more than the same words alone
    follow_up = _count(await count_next_request(backends, session, "And then?", "", *values))
    alone = _count(await count_next_request(backends, Session(), "And then?", "", *values))
    assert follow_up > alone > 0


async def test_a_files_only_follow_up_counts_what_send_sends(backends) -> None:
    session = Session()
    values = _values(max_tokens=20)
    async for _ in Handlers(backends).send(session, "Describe the picture I will send", "", *values):
        pass
    prompt = {"text": "", "files": [str(ASSETS / "example.png")]}
    counted = _count(await count_next_request(backends, session, prompt, "", *values))
    async for _ in Handlers(backends).send(session, prompt, "", *values):
        pass
    assert session.last_run.usage.input_tokens == counted


async def test_nothing_typed_and_unencodable_text_are_explained(backends) -> None:
    empty = await count_next_request(backends, Session(), {"text": "  ", "files": []}, "", *_values())
    assert empty.startswith("Type a message")
    # a lone surrogate (what a browser can send) is cleaned as Send cleans it, not a crash
    assert _count(await count_next_request(backends, Session(), "half \ud800 pair", "", *_values())) > 0


async def test_system_prompt_and_attachments_change_the_count(backends) -> None:
    plain = _count(await count_next_request(backends, Session(), "Hello", "", *_values()))
    system = _count(await count_next_request(backends, Session(), "Hello", "", *_values(system="Be brief. " * 20)))
    image = _count(await count_next_request(backends, Session(), {"text": "Hello", "files": [str(ASSETS / "example.png")]},
                                            "", *_values()))
    assert system > plain and image > plain


async def test_problems_are_explained_not_raised(backends, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "photo.png"
    fake.write_bytes(b"<html>not an image</html>")
    refused = await count_next_request(backends, Session(), {"text": "Hi", "files": [str(fake)]}, "", *_values())
    assert refused.startswith("**Could not count tokens:**") and "PNG" in refused
    bad = await count_next_request(backends, Session(), "Hi", "", *_values(tools="[{"))
    assert bad.startswith("**Could not count tokens:** tools: not valid JSON")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    no_key = await count_next_request(backends, Session(), "Hi", "", *_values(backend="anthropic"))
    assert no_key.startswith("**Could not count tokens:**") and "key" in no_key.lower()
    openai = await count_next_request(backends, Session(), "Hi", "", *_values(backend="openai"))
    assert "OpenAI-compatible" in openai


def test_describe_flags_a_prompt_over_the_context_window() -> None:
    info = catalog.get("claude-sonnet-4-5")
    assert "too long" in describe(info.context_window + 1, info.id)
    assert "too long" not in describe(10, info.id)
    assert describe(10, "some-unknown-model") == "Next request: **10 input tokens**"
    assert "free (offline model)" in describe(10, catalog.EMULATOR_MODEL)
