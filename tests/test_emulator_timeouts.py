"""The emulator times out idle and half-sent connections (configurable), answering with an
API-shaped 408 where a reply can still be sent (a body that stopped arriving)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from playground.emulator import Emulator
from playground.emulator.__main__ import parse_args
from playground.providers import Anthropic
from playground.responses import FinishReason

DEADLINE = 10.0  # seconds a test waits for the server to act; far above the timeouts it sets


async def _open(emu: Emulator) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(emu.host or "127.0.0.1", emu.port)


async def _closed_after(reader: asyncio.StreamReader) -> tuple[bytes, float]:
    started = time.monotonic()
    data = await asyncio.wait_for(reader.read(), DEADLINE)  # read() returns at EOF: the server closed
    return data, time.monotonic() - started


async def test_an_idle_connection_is_closed() -> None:
    async with Emulator(idle_timeout=0.3) as emu:
        reader, writer = await _open(emu)
        data, waited = await _closed_after(reader)
        writer.close()
    assert data == b"" and waited < 5


async def test_headers_that_trickle_in_are_cut_off() -> None:
    async with Emulator(idle_timeout=0.3) as emu:
        reader, writer = await _open(emu)
        writer.write(b"POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nx-api-key: k\r\n")  # never finished
        await writer.drain()
        data, _ = await _closed_after(reader)
        writer.close()
    assert data == b""


async def test_a_body_that_stops_arriving_gets_an_api_shaped_408() -> None:
    async with Emulator(body_timeout=0.3) as emu:
        reader, writer = await _open(emu)
        writer.write(b"POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nx-api-key: k\r\n"
                     b"anthropic-version: 2023-06-01\r\ncontent-type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"model\": ")  # 10 of the 100 bytes declared
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), DEADLINE)
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        body = await asyncio.wait_for(reader.readexactly(length), DEADLINE)
        writer.close()
    assert head.startswith(b"HTTP/1.1 408 ") and b"connection: close" in head.lower()
    error = json.loads(body)
    assert error["type"] == "error" and error["error"]["type"] == "timeout_error"
    assert error["error"]["message"] == "The request body did not arrive within 0.3 seconds."


async def test_a_stream_longer_than_the_idle_timeout_is_not_cut() -> None:
    async with Emulator(idle_timeout=0.3, tokens_per_second=40) as emu:
        started = time.monotonic()
        parts = [p async for p in Anthropic.create_async_generator(
            "playground-tiny", [{"role": "user", "content": "tell me a story"}], api_key="k",
            api_base=emu.api_base, max_tokens=30, stream=True)]
    assert time.monotonic() - started > 0.3  # it did outlast the idle timeout
    assert any(isinstance(p, FinishReason) for p in parts)


def test_timeouts_are_configurable_from_the_command_line() -> None:
    args = parse_args(["--idle-timeout", "5", "--body-timeout", "2.5"])
    assert (args.idle_timeout, args.body_timeout) == (5.0, 2.5)
    defaults = parse_args([])
    assert (defaults.idle_timeout, defaults.body_timeout) == (60.0, 30.0)
    with pytest.raises(SystemExit):
        parse_args(["--body-timeout", "-1"])
    with pytest.raises(ValueError, match="idle_timeout must be a number of seconds >= 0"):
        Emulator(idle_timeout=-1)
