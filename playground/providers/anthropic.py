"""Anthropic: the Messages API provider, the seed's public surface.

    from playground.providers import Anthropic
    async for part in Anthropic.create_async_generator("sonnet", [{"role": "user", "content": "Hi"}], stream=True):
        if isinstance(part, str):
            print(part, end="")

The work is done elsewhere: request bodies in ``anthropic_request``, event mapping in
``anthropic_events``, the run loop (retries, headers, SSE) in ``base`` and ``transport``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from .. import catalog
from ..apiversion import DEFAULT_API_VERSION
from ..config import is_no_key, load_keys
from ..errors import MissingAuthError
from ..media import Media, check_media_set, load_media_async
from ..netguard import check_base_url_async
from ..params import check_prefill, validate_params
from ..responses import Part
from ..transport.client import open_session
from . import anthropic_events, anthropic_request
from .base import catalog_models, checked_base, media_items
from .batches import BatchCalls
from .files import FileCalls
from .openai_api import OpenaiAPI
from .response_format import anthropic_output_format

API_VERSION = DEFAULT_API_VERSION  # the seed's anthropic-version; api_version=... picks another


class Anthropic(BatchCalls, FileCalls, OpenaiAPI):
    """The Anthropic Messages API. Key from ``api_key``, else ``ANTHROPIC_API_KEY`` (environment or
    ``.env``); base URL from ``api_base`` (with ``/v1``), else ``ANTHROPIC_BASE_URL`` (host root).
    Message Batches and Files calls come from :class:`BatchCalls` and :class:`FileCalls`."""

    label = "Anthropic"
    url = "https://console.anthropic.com"
    login_url = "https://console.anthropic.com/settings/keys"
    working = True
    api_base = "https://api.anthropic.com/v1"
    needs_auth = True
    supports_stream = True
    supports_system_message = True
    supports_message_history = True
    default_model = catalog.DEFAULT_MODEL
    models: ClassVar[list[str]] = catalog_models()
    models_aliases: ClassVar[dict[str, str]] = dict(catalog.ALIASES)
    endpoint = "/messages"

    @classmethod
    def get_headers(cls, stream: bool, api_key: str | None = None, headers: Mapping[str, str] | None = None,
                    *, api_version: str = API_VERSION) -> dict[str, str]:
        """Accept (SSE when streaming), Content-Type, x-api-key when given, ``anthropic-version: api_version``,
        then the caller's headers (e.g. ``anthropic-beta``) merged last."""
        out = {"Accept": "text/event-stream" if stream else "application/json", "Content-Type": "application/json"}
        if api_key:
            out["x-api-key"] = api_key
        out["anthropic-version"] = api_version
        out.update(headers or {})
        return out

    @classmethod
    def _headers(cls, stream: bool, api_key: str | None, headers: Mapping[str, str] | None,
                 p: dict[str, Any]) -> dict[str, str]:
        return cls.get_headers(stream, api_key, headers, api_version=p["api_version"] or API_VERSION)

    @classmethod
    def _resolve_key(cls, api_key: str | None, api_base: str | None = None) -> str:
        # NO_KEY: the caller says there is no key for this request; never substitute the environment's.
        key = api_key if is_no_key(api_key) else api_key or load_keys().anthropic_api_key
        if not key:
            raise MissingAuthError()
        return key

    @classmethod
    def _resolve_base(cls, api_base: str | None) -> str:
        if api_base:
            return checked_base(api_base)
        keys = load_keys()
        return checked_base(keys.anthropic_api_base) if keys.anthropic_base_url else cls.api_base

    @classmethod
    def _stream_mapper(cls, request_id: str | None) -> anthropic_events.StreamMapper:
        return anthropic_events.StreamMapper(request_id)

    @classmethod
    def _json_parts(cls, body: Any, request_id: str | None) -> list[Part]:
        return anthropic_events.parts_from_message(body)

    @classmethod
    def _validate(cls, model: str, p: dict[str, Any]) -> None:
        validate_params(model, temperature=p["temperature"], top_p=p["top_p"], top_k=p["top_k"],
                        max_tokens=p["max_tokens"], stop=p["stop"], thinking=p["thinking"],
                        tool_choice=p["tool_choice"], effort=p["effort"], api_version=p["api_version"])
        anthropic_output_format(p["response_format"])

    @classmethod
    def _build_body(cls, model: str, messages: Sequence[Mapping[str, Any]], stream: bool, media: list[Media],
                    p: dict[str, Any]) -> dict[str, Any]:
        body = anthropic_request.build_body(
            model, messages, max_tokens=p["max_tokens"], system=p["system"], temperature=p["temperature"],
            top_p=p["top_p"], top_k=p["top_k"], stop=p["stop"], stream=stream, tools=p["tools"],
            tool_choice=p["tool_choice"], thinking=p["thinking"], effort=p["effort"],
            media_blocks=[m.to_block() for m in media], extra_data=p["extra_data"],
            output_format=anthropic_output_format(p["response_format"]),
        )
        # Checked on the body as it will be sent (after merging turns and extra_data), still before any request.
        check_prefill(model, body["messages"])
        return body

    @classmethod
    async def count_tokens(cls, model: str, messages: Sequence[Mapping[str, Any]], api_key: str | None = None,
                           api_base: str | None = None, system: Any = None,
                           tools: Sequence[Mapping[str, Any]] | None = None, *, media: Sequence[Any] | None = None,
                           headers: Mapping[str, str] | None = None, timeout: float = 30,
                           proxy: str | None = None, allow_private_hosts: bool = True,
                           api_version: str = API_VERSION) -> int:
        """The prompt's size in tokens (``POST {api_base}/messages/count_tokens``), for showing before sending."""
        model = cls.get_model(model)
        key = cls._resolve_key(api_key)
        base = cls._resolve_base(api_base)
        await check_base_url_async(base, allow_private_hosts)
        async with open_session(timeout, allow_private=allow_private_hosts) as session:
            loaded = [await load_media_async(d, n, session=session, allow_private=allow_private_hosts)
                      for d, n in media_items(media)]
            check_media_set(loaded)
            body = anthropic_request.count_tokens_body(model, messages, system=system, tools=tools,
                                                       media_blocks=[m.to_block() for m in loaded])
            result = await cls._request_json(session, "POST", f"{base}/messages/count_tokens",
                                             cls.get_headers(False, key, headers, api_version=api_version), body,
                                             proxy=proxy, secret=key)
        tokens = result.get("input_tokens") if isinstance(result, dict) else None
        if not isinstance(tokens, int):
            from ..errors import APIConnectionError

            raise APIConnectionError(f"{base}/messages/count_tokens did not return input_tokens")
        return tokens
