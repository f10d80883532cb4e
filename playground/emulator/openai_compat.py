"""``POST /v1/chat/completions``: the OpenAI-compatible shape over the same sampler.

The body is translated into a Messages request (so media, tools and pairing are validated
the same way), the reply planned by :func:`compose`, and answered as ``chat.completion`` or as
``chat.completion.chunk`` events ending in ``data: [DONE]``; with
``stream_options.include_usage`` a last chunk with empty ``choices`` carries ``usage``.
Differences from the Messages endpoint: ``temperature`` ranges 0-2 like OpenAI's, the models'
sampling policies are not enforced, ``seed`` in the body seeds the sampler, and there is no
thinking. Parallel tool calls come out as several ``tool_calls`` entries (indexes 0..n-1);
``parallel_tool_calls: false`` maps to ``disable_parallel_tool_use``. ``response_format``
``{"type": "json_schema", "json_schema": {"name", "schema"}}`` gives JSON valid for the schema (the
same checks and sampler as ``output_config.format``), ``{"type": "json_object"}`` a JSON object,
``{"type": "text"}`` prose; ``strict: true`` on a function tool makes its arguments valid for its
``parameters``. Errors use OpenAI's ``{"error": {"message", "type", "param", "code"}}`` shape.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from .apierror import ApiError, invalid
from .compose import Reply, compose, new_id
from .request import parse_messages
from .sampler import SamplingParams
from .server import (
    Call,
    base_headers,
    check_auth,
    make_call,
    make_rng,
    no_eos,
    pacing_for,
    read_json,
    resolve_fault,
    send_json,
)
from .sse import DELTA, OTHER, STOP, TAIL, write_events

_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls"}
DEFAULT_MAX_TOKENS = 4096


def _content_blocks(content: Any, path: str) -> list[dict] | str:
    """OpenAI message content (string or parts) -> Anthropic content."""
    if content is None or isinstance(content, str):
        return content or ""
    if not isinstance(content, list):
        raise invalid(f"{path}.content: expected a string or a list of content parts", f"{path}.content")
    blocks: list[dict] = []
    for j, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            blocks.append({"type": "text", "text": part.get("text")})
        elif kind == "image_url":
            url = (part.get("image_url") or {}).get("url", "")
            head, sep, data = url.partition(";base64,")
            if not head.startswith("data:") or not sep:
                raise invalid(f"{path}.content.{j}.image_url.url: the offline emulator accepts only "
                              "data:<media type>;base64,<data> URLs", f"{path}.content.{j}")
            blocks.append({"type": "image", "source": {"type": "base64", "media_type": head[5:], "data": data}})
        else:
            raise invalid(f"{path}.content.{j}.type: expected 'text' or 'image_url'", f"{path}.content.{j}")
    return blocks


def to_messages_body(body: dict) -> tuple[dict, SamplingParams, int | None]:
    """Translate a Chat Completions body; return (Messages body, sampling params, seed)."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise invalid("messages: a non-empty list is required", "messages")
    if "model" not in body:
        raise invalid("model: Field required", "model")
    system: list[str] = []
    out: list[dict] = []
    for i, msg in enumerate(messages):
        path = f"messages.{i}"
        role = msg.get("role") if isinstance(msg, dict) else None
        if role in ("system", "developer"):
            content = _content_blocks(msg.get("content"), path)
            system.append(content if isinstance(content, str) else " ".join(b.get("text", "") for b in content))
        elif role == "user":
            out.append({"role": "user", "content": _content_blocks(msg.get("content"), path)})
        elif role == "assistant":
            content = _content_blocks(msg.get("content"), path)
            blocks = [{"type": "text", "text": content}] if isinstance(content, str) and content else (
                content if isinstance(content, list) else [])
            for call in msg.get("tool_calls") or []:
                fn = call.get("function") or {}
                try:
                    args = json.loads(fn.get("arguments") or "{}")
                except ValueError:
                    raise invalid(f"{path}.tool_calls: arguments must be a JSON object string", path) from None
                blocks.append({"type": "tool_use", "id": call.get("id"), "name": fn.get("name"), "input": args})
            out.append({"role": "assistant", "content": blocks})
        elif role == "tool":
            result = {"type": "tool_result", "tool_use_id": msg.get("tool_call_id"),
                      "content": _content_blocks(msg.get("content"), path)}
            if out and out[-1]["role"] == "user" and isinstance(out[-1]["content"], list) and all(
                    b.get("type") == "tool_result" for b in out[-1]["content"]):
                out[-1]["content"].append(result)  # parallel tool results share one user turn
            else:
                out.append({"role": "user", "content": [result]})
        else:
            raise invalid(f"{path}.role: expected system, developer, user, assistant or tool", f"{path}.role")

    max_tokens = body.get("max_completion_tokens")
    if max_tokens is None:
        max_tokens = body.get("max_tokens")
    if max_tokens is None:
        max_tokens = DEFAULT_MAX_TOKENS
    result: dict[str, Any] = {"model": body["model"], "messages": out, "max_tokens": max_tokens}
    if system:
        result["system"] = "\n".join(system)
    stop = body.get("stop")
    if stop is not None:
        result["stop_sequences"] = [stop] if isinstance(stop, str) else stop
    if body.get("tools"):
        if not isinstance(body["tools"], list):
            raise invalid("tools: expected a list of function tools", "tools")
        result["tools"] = [_tool(t, k) for k, t in enumerate(body["tools"])]
        result["tool_choice"] = _tool_choice(body.get("tool_choice"))
    parallel = body.get("parallel_tool_calls")
    if parallel is not None and not isinstance(parallel, bool):
        raise invalid("parallel_tool_calls: must be a boolean", "parallel_tool_calls")
    if parallel is False and "tool_choice" in result and result["tool_choice"]["type"] != "none":
        result["tool_choice"]["disable_parallel_tool_use"] = True  # at most one call, like OpenAI's flag
    fmt = _response_format(body.get("response_format"))
    if fmt is not None:
        result["output_config"] = {"format": fmt}
    if body.get("n", 1) != 1:
        raise invalid("n: only n=1 is supported by the emulator", "n")

    temperature = body.get("temperature")
    if temperature is not None and (isinstance(temperature, bool) or not isinstance(temperature, int | float)
                                    or not 0 <= temperature <= 2):
        raise invalid("temperature: must be a number between 0 and 2", "temperature")
    top_p = body.get("top_p")
    if top_p is not None and (isinstance(top_p, bool) or not isinstance(top_p, int | float) or not 0 <= top_p <= 1):
        raise invalid("top_p: must be a number between 0 and 1", "top_p")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise invalid("seed: must be an integer", "seed")
    params = SamplingParams(1.0 if temperature is None else float(temperature), None, top_p)
    return result, params, seed


_SCHEMA_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def _response_format(value: Any) -> dict | None:
    """OpenAI's ``response_format`` -> an ``output_config.format`` (None for plain text)."""
    if value is None:
        return None
    kind = value.get("type") if isinstance(value, dict) else None
    if kind == "text":
        return None
    if kind == "json_object":
        return {"type": "json_schema", "schema": {"type": "object"}}  # any object: sampled keys and values
    if kind != "json_schema":
        raise invalid("response_format.type: expected 'text', 'json_object' or 'json_schema'", "response_format.type")
    spec = value.get("json_schema")
    if not isinstance(spec, dict):
        raise invalid("response_format.json_schema: Field required", "response_format.json_schema")
    name = spec.get("name")
    if not isinstance(name, str) or not _SCHEMA_NAME.match(name):
        raise invalid("response_format.json_schema.name: must be 1-64 characters of a-z, A-Z, 0-9, _ or -",
                      "response_format.json_schema.name")
    if "schema" not in spec:
        raise invalid("response_format.json_schema.schema: Field required", "response_format.json_schema.schema")
    return {"type": "json_schema", "schema": spec["schema"]}


def _tool(tool: Any, k: int) -> dict:
    fn = tool.get("function") if isinstance(tool, dict) and tool.get("type") == "function" else None
    if not isinstance(fn, dict):
        raise invalid(f"tools.{k}: expected {{'type': 'function', 'function': {{...}}}}", f"tools.{k}")
    out = {"name": fn.get("name"), "description": fn.get("description", ""),
           "input_schema": fn.get("parameters") or {"type": "object", "properties": {}}}
    if fn.get("strict") is not None:
        out["strict"] = fn["strict"]
    return out


def _tool_choice(choice: Any) -> dict:
    if choice in (None, "auto"):
        return {"type": "auto"}
    if choice == "none":
        return {"type": "none"}
    if choice == "required":
        return {"type": "any"}
    if isinstance(choice, dict) and choice.get("type") == "function":
        return {"type": "tool", "name": (choice.get("function") or {}).get("name")}
    raise invalid("tool_choice: expected 'auto', 'none', 'required' or a function choice", "tool_choice")


def _message(reply: Reply) -> dict:
    text = "".join(b.text for b in reply.blocks if b.type == "text")
    msg: dict[str, Any] = {"role": "assistant", "content": text or None}
    calls = [b for b in reply.blocks if b.type == "tool_use"]
    if calls:
        msg["tool_calls"] = [{"id": b.tool_id, "type": "function",
                              "function": {"name": b.tool_name, "arguments": b.text}} for b in calls]
    return msg


def _usage(input_tokens: int, output_tokens: int) -> dict:
    return {"prompt_tokens": input_tokens, "completion_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens}


def _chunks(reply: Reply, *, cid: str, model: str, created: int, input_tokens: int,
            include_usage: bool) -> Iterator[tuple[bytes, int]]:
    def frame(delta: dict, finish: str | None = None, **extra: Any) -> bytes:
        payload = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra}
        return b"data: " + json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode() + b"\n\n"

    yield frame({"role": "assistant", "content": ""}), OTHER
    tool_index = 0
    for block in reply.blocks:
        if block.type == "text":
            for piece in block.pieces:
                yield frame({"content": piece}), DELTA
        elif block.type == "tool_use":
            head = {"index": tool_index, "id": block.tool_id, "type": "function",
                    "function": {"name": block.tool_name, "arguments": ""}}
            yield frame({"tool_calls": [head]}), DELTA
            for piece in block.pieces[1:]:
                yield frame({"tool_calls": [{"index": tool_index, "function": {"arguments": piece}}]}), DELTA
            tool_index += 1
    yield frame({}, _FINISH.get(reply.stop_reason, "stop")), TAIL
    if include_usage:
        payload = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                   "choices": [], "usage": _usage(input_tokens, reply.output_tokens)}
        yield b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n", OTHER
    yield b"data: [DONE]\n\n", STOP


async def chat_completions(request: web.Request) -> web.StreamResponse:
    """``POST /v1/chat/completions`` (Bearer or x-api-key; no ``anthropic-version`` needed)."""
    call: Call = make_call(request)
    check_auth(request, call.settings)
    await read_json(call)
    resolve_fault(call)
    body, params, seed = to_messages_body(call.body)
    try:
        req = parse_messages(body)
    except ApiError as exc:  # name the schema's place as the client sent it
        exc.message = exc.message.replace("output_config.format.schema", "response_format.json_schema.schema")
        if exc.param:
            exc.param = exc.param.replace("output_config.format.schema", "response_format.json_schema.schema")
        raise
    req.params = params
    rng = make_rng(call, seed)
    reply = compose(req, call.settings.model, rng, endless=no_eos(request))
    headers = base_headers(call, req.input_tokens, req.max_tokens)
    cid = "chatcmpl-" + new_id("")
    created = int(time.time())
    pacing = pacing_for(call)
    if not call.body.get("stream"):
        payload = {"id": cid, "object": "chat.completion", "created": created, "model": req.model,
                   "choices": [{"index": 0, "message": _message(reply),
                                "finish_reason": _FINISH.get(reply.stop_reason, "stop"), "logprobs": None}],
                   "usage": _usage(req.input_tokens, reply.output_tokens)}
        return await send_json(call, json.dumps(payload, ensure_ascii=False).encode(), headers, pacing,
                                reply.output_tokens)
    include_usage = bool((call.body.get("stream_options") or {}).get("include_usage"))
    resp = web.StreamResponse(status=200, headers={
        **headers, "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"})
    await resp.prepare(request)
    error = b"data: " + json.dumps({"error": {"message": "Overloaded", "type": "overloaded_error", "param": None,
                                              "code": None}}).encode() + b"\n\n"
    frames = _chunks(reply, cid=cid, model=req.model, created=created, input_tokens=req.input_tokens,
                     include_usage=include_usage)
    await write_events(request, resp, frames, pacing=pacing, fault=call.fault.name if call.fault else None,
                       error_frame=error)
    if not (call.fault and call.fault.name == "disconnect"):
        await resp.write_eof()
    return resp
