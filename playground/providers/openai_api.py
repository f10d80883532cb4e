"""OpenaiAPI: any OpenAI-compatible ``/chat/completions`` endpoint (OpenAI, Ollama, vLLM, LM Studio).
Body building is in ``openai_request``, output mapping in ``openai_events``.

Also home of ``create_async_generator``, the one public entry point that :class:`Anthropic`
inherits: it validates, loads media, builds the body through the class's hooks and runs it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar

from ..config import is_no_key, load_keys, same_base_url
from ..errors import ParameterError
from ..jsondepth import check_depth
from ..media import Media, check_media_set, load_media_async
from ..netguard import check_base_url_async
from ..params import normalize_tool_choice
from ..responses import Part
from ..transport.client import open_session
from .base import ProviderBase, checked_base, media_items
from .openai_events import ChatStreamMapper, parts_from_completion
from .openai_request import media_part, openai_tool_choice, openai_tools, to_openai_messages
from .response_format import normalize_response_format


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
    def _resolve_key(cls, api_key: str | None, api_base: str | None = None) -> str | None:
        """``api_key``; none for :data:`~playground.config.NO_KEY`; else ``OPENAI_API_KEY``, but only
        for ``OPENAI_BASE_URL`` (or OpenAI's own API when that is unset): never for another host."""
        if api_key or is_no_key(api_key):
            return api_key or None
        keys = load_keys()
        if api_base and not same_base_url(api_base, keys.openai_base_url or cls.api_base):
            return None
        return keys.openai_api_key

    @classmethod
    def _resolve_base(cls, api_base: str | None) -> str:
        return checked_base(api_base or load_keys().openai_base_url or cls.api_base)

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
        normalize_response_format(p["response_format"])
        if p["api_version"] is not None:
            raise ParameterError("api_version", "is the anthropic-version header of the Anthropic provider; "
                                 "OpenAI-compatible endpoints have no API version setting.")

    @classmethod
    def _headers(cls, stream: bool, api_key: str | None, headers: Mapping[str, str] | None,
                 p: dict[str, Any]) -> dict[str, str]:
        """The request's headers: :meth:`get_headers` (a hook, so a provider can add its own settings)."""
        return cls.get_headers(stream, api_key, headers)

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
            parts = [media_part(m) for m in media]
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
            body["tools"] = openai_tools(p["tools"])
        choice = openai_tool_choice(normalize_tool_choice(p["tool_choice"]))
        if choice is not None:
            body["tool_choice"] = choice
        if p["effort"] is not None:
            body["reasoning_effort"] = p["effort"]
        response_format = normalize_response_format(p["response_format"])
        if response_format is not None:
            body["response_format"] = response_format
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
        response_format: Mapping[str, Any] | None = None,
        api_version: str | None = None,
        max_retries: int = 2,
        allow_private_hosts: bool = True,
        raw_events: int = 0,
        **kwargs: Any,
    ) -> AsyncIterator[Part]:
        """Stream one reply as parts: RequestRecord, HeadersResponse, content, FinishReason, Usage
        (RetryNotice and another RequestRecord before each retry). ``impersonate`` is accepted for
        compatibility and ignored. ``raw_events=N`` also yields the first N wire events of each
        attempt as :class:`RawEvent` (for an inspector). ``response_format`` takes OpenAI's shape on every
        provider (see :mod:`.response_format`); ``api_version`` is the Anthropic provider's
        ``anthropic-version`` header (default 2023-06-01). Everything is checked before any network I/O."""
        if kwargs:
            raise ParameterError(next(iter(kwargs)), "is not a parameter of create_async_generator; "
                                 "pass extra API body fields through extra_data={...}.")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))):
            raise ParameterError("timeout", f"give seconds as a number (or None for no limit), got {timeout!r}.")
        _check_count("max_retries", max_retries)
        _check_count("raw_events", raw_events)
        model = cls.get_model(model)
        p = {"temperature": temperature, "top_p": top_p, "top_k": top_k, "max_tokens": max_tokens, "stop": stop,
             "thinking": thinking, "tool_choice": tool_choice, "effort": effort, "system": system, "tools": tools,
             "extra_data": extra_data, "response_format": response_format, "api_version": api_version}
        for name in ("tools", "system", "extra_data"):  # before any recursive JSON work on them
            check_depth(p[name], name)
        check_depth(messages, "messages")
        cls._validate(model, p)
        key = cls._resolve_key(api_key, api_base)
        base = cls._resolve_base(api_base)
        if not allow_private_hosts:
            await check_base_url_async(base, False)
        policy = replace(cls.retry_policy, max_retries=max_retries)
        async with open_session(timeout, allow_private=allow_private_hosts) as session:
            loaded = [await load_media_async(data, name, session=session, allow_private=allow_private_hosts)
                      for data, name in media_items(media)]
            check_media_set(loaded)
            body = cls._build_body(model, messages, stream, loaded, p)
            request_headers = cls._headers(stream, key, headers, p)
            async for batch in cls._run(url=base + cls.endpoint, headers=request_headers, body=body, stream=stream,
                                        session=session, proxy=proxy, policy=policy, secret=key,
                                        raw_events=raw_events):
                for part in batch:
                    yield part


def _check_count(name: str, value: Any) -> None:
    """A keyword that counts something: a whole number of at least 0 (``True`` is not one)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ParameterError(name, f"must be a whole number of at least 0, got {value!r}.")
