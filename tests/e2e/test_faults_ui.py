"""Every failure a backend can throw, through the UI in Chromium: a readable error (never a
traceback), the partial answer kept, and the same session working for the next run.

Offline faults go through the UI's fault dropdown (the emulator's ``x-emulator-fault`` header);
401, 400-with-message and a backend that never answers come from a scripted OpenAI-compatible
server (scripted_server.py) chosen as a custom base URL; the unreachable one is a free port.
"""

from __future__ import annotations

import pytest
from app_server import free_port
from scripted_server import BAD_REQUEST_MESSAGE, scripted_server
from ui import answer_text, bot_texts, choose, fill, open_tab, send, wait_done

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
# Paced, so a partial answer exists before a mid-stream fault; a short timeout for the "never answers" case.
APP_ENV = {"PLAYGROUND_EMULATOR_TPS": "100", "PLAYGROUND_TIMEOUT": "2"}


@pytest.fixture(scope="module")
def scripted():
    with scripted_server() as state:
        yield state


def _last(page) -> str:
    return bot_texts(page)[-1]


def _usable_again_offline(page, turns: int) -> None:
    """The next run in the same session works (fault off) and ends normally."""
    choose(page, "fault", "none")
    fill(page, "max_tokens", "20")
    send(page, "and once more, briefly")
    wait_done(page, turns=turns, timeout=60_000)
    assert "stop reason:" in _last(page)


def _use_endpoint(page, base: str, model: str, listed: bool = True) -> None:
    choose(page, "backend", "OpenAI-compatible endpoint")
    page.wait_for_selector("#base_url", state="visible")
    fill(page, "base_url", base)
    if listed:  # the model list reloads from the new base URL: let it land before typing a model id
        page.wait_for_function("document.querySelector('#model input').value === 'ok'")
        if model != "ok":
            choose(page, "model", model)
    else:
        fill(page, "model", model)


def _readable(text: str) -> None:
    assert "Traceback" not in text and "Exception" not in text and "Error(" not in text


@pytest.mark.parametrize(("fault", "status", "kind"), [("fail_once_rate_limit", "429", "rate_limit_error"),
                                                        ("fail_once_overloaded", "529", "overloaded_error")])
def test_rate_limit_and_overload_are_retried_visibly(page, shot, fault, status, kind) -> None:
    choose(page, "fault", fault)
    fill(page, "max_tokens", "30")
    send(page, f"hello after a {status}")
    chat = wait_done(page, timeout=60_000)
    shot(page)
    assert "Retry 1/" in chat, "the retry is shown in the chat"
    assert "stop reason:" in _last(page), "the retried run completed"
    assert answer_text(page).strip()
    open_tab(page, "Events")
    events = page.locator("#events textarea").input_value()
    assert status in events or kind in events or "retry" in events.lower()
    _usable_again_offline(page, turns=2)


@pytest.mark.timeout(300)  # three faults and three recoveries in one session
def test_status_errors_that_persist_are_readable(page, shot) -> None:
    """Each persistent status in turn, in one session (one page load, not three): a readable error
    naming its status, then a normal run."""
    for n, (fault, expected) in enumerate([("rate_limit", "429"), ("overloaded", "529"), ("server_error", "500")]):
        choose(page, "fault", fault)
        send(page, f"hello into a {fault}")
        wait_done(page, turns=2 * n + 1, timeout=90_000)
        last = _last(page)
        assert "Error" in last and expected in last and "request-id" in last, (fault, last)
        _readable(last)
        _usable_again_offline(page, turns=2 * n + 2)
    shot(page)


@pytest.mark.parametrize(("fault", "expected"), [("mid_stream_error", "Stream interrupted"),
                                                 ("disconnect", "Error"), ("truncate", "Error")])
def test_stream_faults_keep_the_partial_answer(page, shot, fault, expected) -> None:
    choose(page, "fault", fault)
    fill(page, "max_tokens", "200")
    send(page, f"Tell me about rivers ({fault})")
    wait_done(page, timeout=60_000)
    shot(page)
    last = _last(page)
    assert expected in last
    _readable(last)
    assert answer_text(page).strip(), "the text that arrived before the fault is still shown"
    _usable_again_offline(page, turns=2)


def test_wrong_key_says_check_your_key(page, scripted, shot) -> None:
    _use_endpoint(page, scripted.api_base, "needs-key")
    fill(page, "api_key", "wrong-key")
    send(page, "hello")
    wait_done(page, timeout=60_000)
    shot(page)
    last = _last(page)
    assert "401" in last and "check your API key" in last
    _readable(last)
    fill(page, "api_key", "right-key")  # fixing the key fixes the session
    send(page, "hello again")
    wait_done(page, turns=2, timeout=60_000)
    assert "stop reason:" in _last(page) and "All good here." in answer_text(page)


def test_bad_request_shows_the_apis_message(page, scripted, shot) -> None:
    _use_endpoint(page, scripted.api_base, "bad-request")
    send(page, "hello")
    wait_done(page, timeout=60_000)
    shot(page)
    last = _last(page)
    assert "400" in last and BAD_REQUEST_MESSAGE in last
    open_tab(page, "Errors")
    assert BAD_REQUEST_MESSAGE in page.locator("#errors").inner_text()
    choose(page, "model", "ok")
    send(page, "hello again")
    wait_done(page, turns=2, timeout=60_000)
    assert "All good here." in answer_text(page)


def test_a_backend_that_never_answers_times_out(page, scripted, shot) -> None:
    _use_endpoint(page, scripted.api_base, "hang")
    send(page, "are you there?")
    wait_done(page, timeout=60_000)  # PLAYGROUND_TIMEOUT=2 s per attempt, plus the retries
    shot(page)
    assert scripted.hang_started.is_set(), "the request really reached the hanging server"
    last = _last(page)
    assert "Timed out" in last or "timed out" in last.lower()
    _readable(last)
    choose(page, "model", "ok")
    send(page, "and now?")
    wait_done(page, turns=2, timeout=60_000)
    assert "All good here." in answer_text(page)


def test_an_unreachable_base_url_is_a_clear_error(page, scripted, shot) -> None:
    _use_endpoint(page, f"http://127.0.0.1:{free_port()}/v1", "anything", listed=False)  # nothing listens there
    send(page, "hello")
    wait_done(page, timeout=60_000)
    shot(page)
    last = _last(page)
    assert "Could not connect" in last
    _readable(last)
    _use_endpoint(page, scripted.api_base, "ok")
    send(page, "hello again")
    wait_done(page, turns=2, timeout=60_000)
    assert "All good here." in answer_text(page)
