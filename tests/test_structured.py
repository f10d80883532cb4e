"""The JSON badge: a reply requested as JSON checked against its response format (valid, invalid with
the first error and its path, not JSON with why, json_object), and how the chat shows it."""

from __future__ import annotations

import json

from playground.responses import FinishReason
from playground.run import RunRecord
from playground.structured import check_reply, json_path, wants_json
from playground.ui.render import chat_messages

PERSON = {"type": "json_schema", "json_schema": {"name": "person", "schema": {
    "type": "object", "required": ["name", "pets"], "additionalProperties": False,
    "properties": {"name": {"type": "string"},
                   "pets": {"type": "array", "items": {"type": "object", "required": ["kind"],
                                                       "properties": {"kind": {"enum": ["cat", "dog"]}}}}}}}}


def test_valid_against_the_schema_names_it() -> None:
    check = check_reply('{"name": "Ada", "pets": [{"kind": "cat"}]}', PERSON)
    assert (check.state, check.badge) == ("valid", "JSON ✓ valid against schema person")
    assert check.data == {"name": "Ada", "pets": [{"kind": "cat"}]}


def test_invalid_says_the_first_error_with_its_path() -> None:
    check = check_reply('{"name": "Ada", "pets": [{"kind": "cat"}, {"kind": "fish"}]}', PERSON)
    assert check.state == "invalid"
    assert check.badge == "JSON ✗ invalid: at $.pets[1].kind: 'fish' is not one of ['cat', 'dog']"
    missing = check_reply('{"name": "Ada"}', PERSON)
    assert missing.badge == "JSON ✗ invalid: at $: 'pets' is a required property"
    assert json_path(("a b", 0, "c")) == '$["a b"][0].c'


def test_not_json_says_why() -> None:
    assert check_reply("Sure! Here is a person: Ada.", PERSON).badge == \
        "not JSON: not valid JSON (line 1, column 1: Expecting value)"
    assert check_reply('{"name": "Ada",', PERSON).state == "not_json"
    assert check_reply("  ", PERSON).badge == "not JSON: the reply is empty"


def test_json_object_wants_an_object() -> None:
    obj = {"type": "json_object"}
    assert check_reply('{"a": 1}', obj).badge == "JSON ✓ valid (a JSON object)"
    assert check_reply("[1, 2]", obj).badge == "JSON ✗ invalid: $ is a JSON array, not the object json_object asks for"
    assert wants_json(obj) and wants_json(PERSON) and not wants_json({"type": "text"}) and not wants_json(None)


def test_a_schema_that_is_not_one_is_said() -> None:
    bad = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "objekt"}}}
    assert check_reply("{}", bad).badge.startswith("JSON ✗ cannot check: schema x is not a valid JSON Schema: ")


def finished(*texts: str) -> RunRecord:
    run = RunRecord()
    for t in texts:
        run.add(t)
    run.add(FinishReason("stop", "end_turn"))
    run.mark_done()
    return run


def test_the_chat_shows_formatted_json_under_its_badge() -> None:
    run = finished('{"name":"Ada",', '"pets":[]}')
    first = chat_messages(run, PERSON)[0]["content"]
    badge, body = first.split("\n\n", 1)
    assert badge == "**JSON ✓ valid against schema person**"
    assert body == "```json\n" + json.dumps({"name": "Ada", "pets": []}, indent=2) + "\n```"
    # asked for plain text: shown as it came; while streaming: no badge yet
    assert chat_messages(run)[0]["content"] == '{"name":"Ada","pets":[]}'
    running = RunRecord()
    running.add('{"name":')
    assert chat_messages(running, PERSON)[0]["content"] == '{"name":'


def test_the_chat_badge_of_prose_keeps_the_text_and_escapes_markup() -> None:
    shown = chat_messages(finished("I *cannot* do JSON."), PERSON)[0]["content"]
    assert shown.startswith("**not JSON: not valid JSON (line 1, column 1: Expecting value)**\n\nI *cannot*")
    evil = chat_messages(finished('{"name": "Ada", "pets": [{"kind": "<b>*x*</b>"}]}'), PERSON)[0]["content"]
    assert evil.startswith("**JSON ✗ invalid: at $.pets[0].kind: '&lt;b&gt;\\*x\\*&lt;/b&gt;' is not one of")
