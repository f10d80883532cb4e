"""OpenaiAPI: any OpenAI-compatible ``/chat/completions`` endpoint (OpenAI, Ollama, vLLM, LM Studio).

Also home of ``create_async_generator``, the one public entry point that :class:`Anthropic`
inherits: it validates, loads media, builds the body through the class's hooks and runs it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar

from ..config import load_settings
from ..errors import ParameterError, StreamError
from ..media import Media, check_media_set, load_media_async
from ..netguard import check_base_url_async
from ..params import normalize_tool_choice
from ..responses import FinishReason, Part, Reasoning, ToolCall, ToolCalls, Usage
from ..transport.client import open_session
from .base import ProviderBase, checked_base, media_items

_loads = json.loads
_NONE: tuple[Part, ...] = ()
FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool_calls", "function_call": "tool_calls",
          "content_filter": "content_filter"}


def openai_usage(raw: Mapping[str, Any]) -> Usage:
    """OpenAI usage -> :class:`Usage` (cached prompt tokens count as cache reads)."""
    prompt = raw.get("prompt_tokens") or 0
    cached = (raw.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
    extra = {k: v for k, v in raw.items() if k not in ("prompt_tokens", "completion_tokens", "total_tokens")}
    return Usage(prompt - cached, raw.get("completion_tokens") or 0, 0, cached, extra)


class ChatStreamMapper:
    """``data:`` chunks of a chat.completion.chunk stream -> parts; ``[DONE]`` ends it."""

    __slots__ = ("done", "request_id", "_calls", "_finish", "_usage", "_deferred")

    def __init__(self, request_id: str | None = None) -> None:
        self.done = False
        self.request_id = request_id
        self._calls: dict[int, list[Any]] = {}  # index -> [id, name, [argument fragments]]
        self._finish: str | None = None
        self._usage: dict[str, Any] = {}
        self._deferred: StreamError | None = None

    def feed(self, name: str, data: str) -> tuple[Part, ...]:
        if data == "[DONE]":
            self.done = True
            return self._final()
        try:
            chunk = _loads(data)
            if chunk.get("error"):
                error = chunk["error"]
                message = error.get("message", str(error)) if isinstance(error, dict) else str(error)
                kind = error.get("type") if isinstance(error, dict) else None
                raise StreamError(str(message), kind, self.request_id)
            if chunk.get("usage"):
                self._usage = chunk["usage"]
            choices = chunk.get("choices")
            if not choices:
                return _NONE
            choice = choices[0]
            delta = choice.get("delta") or {}
            content = delta.get("content")
            if content and (len(delta) == 1 or (len(delta) == 2 and "role" in delta)) and not choice.get("finish_reason"):
                return (content,)  # the common case: a plain text delta (content, maybe role)
            out: list[Part] = []
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if reasoning:
                out.append(Reasoning(reasoning))
            if content:
                out.append(content)
            for call in delta.get("tool_calls") or ():
                slot = self._calls.setdefault(call.get("index", 0), ["", "", []])
                fn = call.get("function") or {}
                slot[0] = call.get("id") or slot[0]
                slot[1] = fn.get("name") or slot[1]
                if fn.get("arguments"):
                    slot[2].append(fn["arguments"])
            if choice.get("finish_reason"):
                self._finish = choice["finish_reason"]
            return tuple(out)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise StreamError(f"malformed chunk data: {data[:120]!r}", "malformed_event", self.request_id) from None

    def feed_many(self, events: list[tuple[str, str]]) -> list[Part]:
        """:meth:`feed` for each event of a chunk, concatenated."""
        out: list[Part] = []
        try:
            for name, data in events:
                out += self.feed(name, data)
        except StreamError as exc:
            if not out:
                raise
            self._deferred, self.done = exc, True  # hand on what came before the error first
        return out

    def finish(self) -> tuple[Part, ...]:
        """Servers that forget ``[DONE]`` but sent a finish_reason are accepted; otherwise the stream was cut."""
        if self._deferred is not None:
            raise self._deferred
        if self.done:
            return _NONE
        if self._finish is None:
            raise StreamError("the stream ended before [DONE]", "incomplete_stream", self.request_id)
        self.done = True
        return self._final()

    def _final(self) -> tuple[Part, ...]:
        out: list[Part] = []
        for index in sorted(self._calls):
            call_id, name, fragments = self._calls[index]
            raw = "".join(fragments)
            try:
                args = _loads(raw) if raw.strip() else {}
            except ValueError:
                args = {}
            out.append(ToolCalls([ToolCall(call_id, name, args if isinstance(args, dict) else {}, raw)]))
        raw_finish = self._finish or "stop"
        out.append(FinishReason(FINISH.get(raw_finish, raw_finish), raw_finish))
        out.append(openai_usage(self._usage))
        return tuple(out)


def parts_from_completion(body: Mapping[str, Any]) -> list[Part]:
    """A non-streamed chat.completion -> the same parts a stream yields."""
    mapper = ChatStreamMapper()
    choice = (body.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    out: list[Part] = []
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if reasoning:
        out.append(Reasoning(reasoning))
    if message.get("content"):
        out.append(message["content"])
    for i, call in enumerate(message.get("tool_calls") or ()):
        mapper._calls[i] = [call.get("id", ""), (call.get("function") or {}).get("name", ""),
                            [(call.get("function") or {}).get("arguments") or ""]]
    mapper._finish = choice.get("finish_reason")
    mapper._usage = body.get("usage") or {}
    return out + list(mapper._final())


def _openai_content(blocks: list[Any]) -> tuple[list[Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Anthropic-native blocks -> (OpenAI content parts, tool_calls, tool messages). Thinking is
    dropped (other endpoints cannot verify it); OpenAI-style parts pass through."""
    parts: list[Any] = []
    calls: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for block in blocks:
        kind = block.get("type") if isinstance(block, Mapping) else None
        source = block.get("source") or {} if isinstance(block, Mapping) else {}
        if kind == "text":
            parts.append({"type": "text", "text": block.get("text", "")})
        elif kind == "image" and source.get("type") == "base64":
            parts.append({"type": "image_url", "image_url": {
                "url": f"data:{source.get('media_type')};base64,{source.get('data')}"}})
        elif kind == "image" and source.get("type") == "url":
            parts.append({"type": "image_url", "image_url": {"url": source.get("url")}})
        elif kind == "tool_use":
            calls.append({"id": block.get("id"), "type": "function", "function": {
                "name": block.get("name"), "arguments": json.dumps(block.get("input") or {})}})
        elif kind == "tool_result":
            content = block.get("content")
            if not isinstance(content, str):
                content = "".join(b.get("text", "") for b in content or () if isinstance(b, Mapping))
            results.append({"role": "tool", "tool_call_id": block.get("tool_use_id"), "content": content})
        elif kind in ("thinking", "redacted_thinking"):
            continue
        else:
            parts.append(block)
    return parts, calls, results


def to_openai_messages(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Copies of ``messages`` with Anthropic-native content (e.g. a history built with
    TurnAccumulator) turned into the chat format; OpenAI-style messages pass through."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if not isinstance(message, Mapping):
            raise ParameterError("messages", f"expected dicts with role and content, got {type(message).__name__}.")
        copied = dict(message)
        content = copied.get("content")
        if isinstance(content, list):
            parts, calls, results = _openai_content(content)
            out += results  # tool results answer the previous assistant turn, so they come first
            if calls:
                copied["tool_calls"] = [*copied.get("tool_calls", ()), *calls]
            if parts or not (calls or results):
                only_text = all(isinstance(p, Mapping) and p.get("type") == "text" for p in parts)
                copied["content"] = "".join(p["text"] for p in parts) if only_text and parts else parts
            elif calls:
                copied["content"] = None
            else:
                continue
        out.append(copied)
    return out


def _openai_tools(tools: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for tool in tools:
        if tool.get("type") == "function":
            out.append(dict(tool))
        else:  # an Anthropic tool definition
            fn = {"name": tool.get("name"), "parameters": tool.get("input_schema") or {"type": "object"}}
            if tool.get("description"):
                fn["description"] = tool["description"]
            out.append({"type": "function", "function": fn})
    return out


def _openai_tool_choice(choice: dict[str, Any] | None) -> Any:
    if choice is None:
        return None
    kind = choice["type"]
    if kind == "tool":
        return {"type": "function", "function": {"name": choice["name"]}}
    return {"any": "required"}.get(kind, kind)


def _media_part(m: Media) -> dict[str, Any]:
    if m.kind == "image":
        return {"type": "image_url", "image_url": {"url": m.to_data_uri()}}
    return {"type": "file", "file": {"filename": m.filename or "document.pdf", "file_data": m.to_data_uri()}}


class OpenaiAPI(ProviderBase):
    """An OpenAI-compatible chat endpoint. ``api_base`` includes ``/v1`` (``http://localhost:11434/v1``
    for Ollama). The key is optional (local servers need none) and sent as ``Authorization: Bearer``."""

    label = "OpenAI-compatible API"
    url = "https://platform.openai.com"
    login_url = "https://platform.openai.com/api-keys"
    working = True
    api_base = "https://api.openai.com/v1"
    needs_auth = False
    default_model = ""
    models: ClassVar[list[str]] = []
    models_aliases: ClassVar[dict[str, str]] = {}
    endpoint = "/chat/completions"

    @classmethod
    def get_headers(cls, stream: bool, api_key: str | None = None, headers: Mapping[str, str] | None = None) -> dict[str, str]:
        """Accept, Content-Type, Bearer auth when a key is given, then the caller's headers."""
        out = {"Accept": "text/event-stream" if stream else "application/json", "Content-Type": "application/json"}
        if api_key:
            out["Authorization"] = f"Bearer {api_key}"
        out.update(headers or {})
        return out

    @classmethod
    def _resolve_key(cls, api_key: str | None) -> str | None:
        return api_key or load_settings().openai_api_key

    @classmethod
    def _resolve_base(cls, api_base: str | None) -> str:
        return checked_base(api_base or load_settings().openai_base_url or cls.api_base)

    @classmethod
    def _stream_mapper(cls, request_id: str | None) -> ChatStreamMapper:
        return ChatStreamMapper(request_id)

    @classmethod
    def _json_parts(cls, body: Any, request_id: str | None) -> list[Part]:
        return parts_from_completion(body)

    @classmethod
    def _validate(cls, model: str, p: dict[str, Any]) -> None:
        """OpenAI's ranges (temperature 0..2); the Anthropic catalog rules do not apply here."""
        if not model:
            raise ParameterError("model", "give the model id the endpoint serves (see get_models).")
        t, top_p, top_k, max_tokens = p["temperature"], p["top_p"], p["top_k"], p["max_tokens"]
        if t is not None and not (isinstance(t, (int, float)) and 0 <= t <= 2):
            raise ParameterError("temperature", f"must be a number from 0 to 2, got {t!r}.")
        if top_p is not None and not (isinstance(top_p, (int, float)) and 0 <= top_p <= 1):
            raise ParameterError("top_p", f"must be a number from 0 to 1, got {top_p!r}.")
        if top_k is not None and not (isinstance(top_k, int) and top_k >= 1):
            raise ParameterError("top_k", f"must be a whole number of at least 1, got {top_k!r}.")
        if not (isinstance(max_tokens, int) and max_tokens >= 1):
            raise ParameterError("max_tokens", f"must be a whole number of at least 1, got {max_tokens!r}.")
        if p["thinking"] is not None:
            raise ParameterError("thinking", "OpenAI-compatible endpoints take effort (reasoning_effort), not thinking.")
        stop = p["stop"]
        if stop is not None and (isinstance(stop, str) or any(not isinstance(s, str) or not s.strip() for s in stop)):
            raise ParameterError("stop", "give a list of non-empty strings, like ['END'].")
        normalize_tool_choice(p["tool_choice"])

    @classmethod
    def _build_body(cls, model: str, messages: Sequence[Mapping[str, Any]], stream: bool, media: list[Media],
                    p: dict[str, Any]) -> dict[str, Any]:
        from .anthropic_request import merge_into

        if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
            raise ParameterError("messages", "give a list of {'role': ..., 'content': ...} dicts.")
        out = to_openai_messages(messages)
        if p["system"]:
            out.insert(0, {"role": "system", "content": p["system"]})
        if media:
            parts = [_media_part(m) for m in media]
            for i in range(len(out) - 1, -1, -1):
                if out[i].get("role") == "user":
                    content = out[i].get("content")
                    text = [{"type": "text", "text": content}] if isinstance(content, str) else list(content or ())
                    out[i]["content"] = parts + text
                    break
            else:
                out.append({"role": "user", "content": parts})
        body: dict[str, Any] = {"model": model, "messages": out, "max_tokens": p["max_tokens"]}
        for name in ("temperature", "top_p", "top_k"):
            if p[name] is not None:
                body[name] = p[name]
        if p["stop"] is not None:
            body["stop"] = list(p["stop"])
        if p["tools"] is not None:
            body["tools"] = _openai_tools(p["tools"])
        choice = _openai_tool_choice(normalize_tool_choice(p["tool_choice"]))
        if choice is not None:
            body["tool_choice"] = choice
        if p["effort"] is not None:
            body["reasoning_effort"] = p["effort"]
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        if p["extra_data"]:
            merge_into(body, p["extra_data"])
        return body

    @classmethod
    async def create_async_generator(
        cls,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        proxy: str | None = None,
        timeout: float | None = 120,
        media: Sequence[Any] | None = None,
        api_key: str | None = None,
        temperature: float | None = None,
        max_tokens: int = 4096,
        top_k: int | None = None,
        top_p: float | None = None,
        stop: Sequence[str] | None = None,
        stream: bool = False,
        headers: Mapping[str, str] | None = None,
        impersonate: Any = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
        extra_data: Mapping[str, Any] = {},  # noqa: B006 - pinned signature; never mutated
        *,
        api_base: str | None = None,
        system: Any = None,
        thinking: Any = None,
        tool_choice: Any = None,
        effort: str | None = None,
        max_retries: int = 2,
        allow_private_hosts: bool = True,
        **kwargs: Any,
    ) -> AsyncIterator[Part]:
        """Stream one reply as parts: RequestRecord, HeadersResponse, content, FinishReason, Usage
        (RetryNotice and another RequestRecord before each retry). ``impersonate`` is accepted for
        compatibility and ignored. Everything is checked before any network I/O."""
        if kwargs:
            raise ParameterError(next(iter(kwargs)), "is not a parameter of create_async_generator; "
                                 "pass extra API body fields through extra_data={...}.")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))):
            raise ParameterError("timeout", f"give seconds as a number (or None for no limit), got {timeout!r}.")
        if not isinstance(max_retries, int) or isinstance(max_retries, bool) or max_retries < 0:
            raise ParameterError("max_retries", f"must be a whole number of at least 0, got {max_retries!r}.")
        model = cls.get_model(model)
        p = {"temperature": temperature, "top_p": top_p, "top_k": top_k, "max_tokens": max_tokens, "stop": stop,
             "thinking": thinking, "tool_choice": tool_choice, "effort": effort, "system": system, "tools": tools,
             "extra_data": extra_data}
        cls._validate(model, p)
        key = cls._resolve_key(api_key)
        base = cls._resolve_base(api_base)
        if not allow_private_hosts:
            await check_base_url_async(base, False)
        policy = replace(cls.retry_policy, max_retries=max_retries)
        async with open_session(timeout, allow_private=allow_private_hosts) as session:
            loaded = [await load_media_async(data, name, session=session, allow_private=allow_private_hosts)
                      for data, name in media_items(media)]
            check_media_set(loaded)
            body = cls._build_body(model, messages, stream, loaded, p)
            request_headers = cls.get_headers(stream, key, headers)
            async for batch in cls._run(url=base + cls.endpoint, headers=request_headers, body=body, stream=stream,
                                        session=session, proxy=proxy, policy=policy, secret=key):
                for part in batch:
                    yield part
