"""A run (its request body) as a curl command, a Python snippet for this package, a Python snippet
for the official ``anthropic`` SDK, or raw JSON. Every form reads the key from ``ANTHROPIC_API_KEY``:
no export ever contains a key.

    body = {"model": "claude-sonnet-4-6", "max_tokens": 256, "messages": [...], "temperature": 0.7}
    print(to_curl(body))
    print(to_sdk_python(body, api_base="http://127.0.0.1:8765/v1"))

Each snippet reproduces ``body`` exactly on the wire (the tests run them against the offline backend).
"""

from __future__ import annotations

import json
import pprint
import shlex
from typing import Any

from ..settings import DEFAULT_API_VERSION

DEFAULT_API_BASE = "https://api.anthropic.com/v1"

# Body fields with a named argument in Anthropic.create_async_generator (body name -> kwarg).
_PACKAGE_KWARGS = {
    "system": "system",
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "max_tokens": "max_tokens",
    "stop_sequences": "stop",
    "tools": "tools",
    "tool_choice": "tool_choice",
    "thinking": "thinking",
    "stream": "stream",
}
# SDK 2.13's Messages.create has no typed temperature/top_p/top_k: they must go through extra_body.
_SDK_EXTRA_BODY = ("temperature", "top_p", "top_k")


def _py(value: Any) -> str:
    """A Python literal for a JSON value (dicts/lists pretty-printed, True/False/None spelled right)."""
    return pprint.pformat(value, width=100, sort_dicts=False)


def to_json(body: dict[str, Any]) -> str:
    """The raw request body, pretty-printed."""
    return json.dumps(body, indent=2, ensure_ascii=False)


def to_curl(body: dict[str, Any], *, api_base: str = DEFAULT_API_BASE, api_version: str = DEFAULT_API_VERSION) -> str:
    """A curl command that sends ``body`` to ``{api_base}/messages``; the key comes from $ANTHROPIC_API_KEY."""
    url = api_base.rstrip("/") + "/messages"
    lines = [
        f"curl {shlex.quote(url)}",
        '  -H "x-api-key: $ANTHROPIC_API_KEY"',
        f"  -H {shlex.quote('anthropic-version: ' + api_version)}",
        "  -H 'content-type: application/json'",
    ]
    if body.get("stream"):
        lines.append("  --no-buffer")  # print the SSE events as they arrive
    lines.append(f"  --data-raw {shlex.quote(json.dumps(body, ensure_ascii=False))}")
    return " \\\n".join(lines)


def to_package_python(body: dict[str, Any], *, api_base: str | None = None) -> str:
    """A Python snippet that makes the same request with this package's provider."""
    if "max_tokens" not in body:
        raise ValueError("max_tokens: the request body has none; the Messages API requires it.")
    body = dict(body)
    model = body.pop("model")
    messages = body.pop("messages")
    effort = (body.get("output_config") or {}).get("effort")
    if effort is not None and set(body["output_config"]) == {"effort"}:
        body.pop("output_config")
    args = [f"        {model!r},", f"        {_py(messages)},"]
    extra: dict[str, Any] = {}
    for name, value in body.items():
        if name in _PACKAGE_KWARGS:
            args.append(f"        {_PACKAGE_KWARGS[name]}={_py(value)},")
        else:
            extra[name] = value
    if "stream" not in body:
        args.append("        stream=False,")
    if effort is not None:
        args.append(f"        effort={effort!r},")
    if extra:
        args.append(f"        extra_data={_py(extra)},")
    if api_base:
        args.append(f"        api_base={api_base!r},")
    return "\n".join([
        "# run from a checkout of this project (pip install -e .); the key is read from ANTHROPIC_API_KEY",
        "import asyncio",
        "",
        "from playground.providers import Anthropic",
        "",
        "",
        "async def main() -> None:",
        "    async for part in Anthropic.create_async_generator(",
        *args,
        "    ):",
        "        if isinstance(part, str):",
        '            print(part, end="", flush=True)',
        "    print()",
        "",
        "",
        "asyncio.run(main())",
        "",
    ])


def to_sdk_python(body: dict[str, Any], *, api_base: str | None = None, api_version: str = DEFAULT_API_VERSION) -> str:
    """A Python snippet for the official ``anthropic`` SDK (2.x); temperature/top_p/top_k go in extra_body."""
    body = dict(body)
    stream = bool(body.pop("stream", False))
    extra = {k: body.pop(k) for k in _SDK_EXTRA_BODY if k in body}
    args = [f"    {name}={_py(value)}," for name, value in body.items()]
    if extra:
        args.append(f"    extra_body={_py(extra)},  # SDK 2.x has no typed temperature/top_p/top_k")
    # The SDK sends its own (newer) anthropic-version, which removed temperature/top_p/top_k: pin the run's.
    pinned = f"default_headers={{'anthropic-version': {api_version!r}}}"
    client = f"client = anthropic.Anthropic({pinned})  # reads ANTHROPIC_API_KEY"
    if api_base:
        # The SDK appends /v1/messages itself, so it takes the host root.
        root = api_base.rstrip("/").removesuffix("/v1")
        client = f"client = anthropic.Anthropic(base_url={root!r}, {pinned})  # reads ANTHROPIC_API_KEY"
    lines = ["# pip install anthropic", "import anthropic", "", client, ""]
    if stream:
        lines += ["stream = client.messages.create(", *args, "    stream=True,", ")",
                  "for event in stream:",
                  '    if event.type == "content_block_delta" and event.delta.type == "text_delta":',
                  '        print(event.delta.text, end="", flush=True)',
                  "print()", ""]
    else:
        lines += ["message = client.messages.create(", *args, ")",
                  "for block in message.content:",
                  '    if block.type == "text":',
                  "        print(block.text)", ""]
    return "\n".join(lines)


def export_all(body: dict[str, Any], *, api_base: str | None = None,
               api_version: str = DEFAULT_API_VERSION) -> dict[str, str]:
    """All four exports keyed ``curl``, ``package``, ``sdk``, ``json`` (``api_version``: the
    ``anthropic-version`` the run used)."""
    return {
        "curl": to_curl(body, api_base=api_base or DEFAULT_API_BASE, api_version=api_version),
        "package": to_package_python(body, api_base=api_base),
        "sdk": to_sdk_python(body, api_base=api_base, api_version=api_version),
        "json": to_json(body),
    }
