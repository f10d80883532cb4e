"""Exports: the curl command, the package snippet and the official-SDK snippet are executed against the
offline emulator and must put the run's exact request body on the wire.

A small recording proxy (a real aiohttp server on a free port) sits between the snippet and the
emulator and keeps each body it forwards; the emulator answers for real.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from playground.emulator import Emulator
from playground.settings import RunSettings
from playground.tuning import exports
from playground.tuning.runner import Job, Runner

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-ant-export-test-" + "k" * 20


class RecordingProxy:
    """Forwards POST /v1/messages to the emulator and records every request body and header set."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.bodies: list[dict] = []
        self.headers: list[dict[str, str]] = []
        self._runner: web.AppRunner | None = None
        self.api_base = ""

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        self.bodies.append(json.loads(raw))
        self.headers.append({k.lower(): v for k, v in request.headers.items()})
        keep = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with aiohttp.ClientSession() as session, session.post(
                self.upstream + request.path, data=raw, headers=keep) as upstream:
            payload = await upstream.read()
            return web.Response(body=payload, status=upstream.status,
                                headers={"content-type": upstream.headers.get("content-type", "application/json")})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/messages", self._forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.api_base = f"http://127.0.0.1:{port}/v1"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def proxy():
    async with Emulator() as emu:
        p = RecordingProxy(emu.base_url)
        await p.start()
        try:
            yield p
        finally:
            await p.stop()


async def _run(args: list[str], timeout: float = 60) -> tuple[int, str, str]:
    env = {**os.environ, "ANTHROPIC_API_KEY": KEY, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                env=env, cwd=str(ROOT))
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, out.decode(), err.decode()


async def _real_run_body(proxy: RecordingProxy, settings: RunSettings, prompt: str) -> dict:
    """Run once through the provider (as the tabs do) and return the body it sent."""
    runner = Runner(api_key=KEY, api_base=proxy.api_base)
    results = [u.result async for u in runner.run([Job(0, settings, [{"role": "user", "content": prompt}])])
               if u.done]
    assert results[0].error is None, results[0].error
    assert results[0].request_body == proxy.bodies[-1]
    return results[0].request_body


SETTINGS = [
    RunSettings(model="playground-tiny", system="You are terse. It's \"fine\".", temperature=0.7, top_k=40,
                max_tokens=64, stop_sequences=("\n\nQ:", "END")),
    RunSettings(model="playground-tiny", top_p=0.9, max_tokens=32),
]


@pytest.mark.parametrize("settings", SETTINGS, ids=["sampling+stop+system", "top_p"])
async def test_curl_reproduces_the_run(proxy, settings):
    body = await _real_run_body(proxy, settings, "Tell me about the sea's 'waves' & $HOME")
    code, out, err = await _run(["bash", "-c", exports.to_curl(body, api_base=proxy.api_base) + " --silent"])
    assert code == 0, err
    assert proxy.bodies[-1] == body
    assert proxy.headers[-1]["x-api-key"] == KEY  # read from the environment, not baked in
    assert KEY not in exports.to_curl(body, api_base=proxy.api_base)
    if body.get("stream"):
        assert "event: message_stop" in out
    else:
        assert json.loads(out)["type"] == "message"


@pytest.mark.parametrize("settings", SETTINGS, ids=["sampling+stop+system", "top_p"])
async def test_sdk_snippet_reproduces_the_run(proxy, settings):
    body = await _real_run_body(proxy, settings, "Hello there")
    snippet = exports.to_sdk_python(body, api_base=proxy.api_base)
    assert "extra_body=" in snippet or not {"temperature", "top_p", "top_k"} & set(body)
    code, out, err = await _run([sys.executable, "-c", snippet])
    assert code == 0, err
    assert proxy.bodies[-1] == body
    assert out.strip()  # the model's text was printed


async def test_package_snippet_reproduces_the_run(proxy):
    body = await _real_run_body(proxy, SETTINGS[0], "Hello package")
    snippet = exports.to_package_python(body, api_base=proxy.api_base)
    code, out, err = await _run([sys.executable, "-c", snippet])
    assert code == 0, err
    assert proxy.bodies[-1] == body
    assert out.strip()


def test_json_is_the_body_and_no_key_anywhere():
    body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}], "temperature": 0.2}
    forms = exports.export_all(body, api_base="http://127.0.0.1:9/v1")
    assert json.loads(forms["json"]) == body
    assert "ANTHROPIC_API_KEY" in forms["curl"] and "sk-" not in "".join(forms.values())
    assert "base_url='http://127.0.0.1:9'" in forms["sdk"]  # the SDK adds /v1 itself
    assert "extra_body={'temperature': 0.2}" in forms["sdk"]


async def test_exported_current_settings_run_as_built(proxy):
    """Settings not yet run: the body comes from the provider's builder, non-streaming; both the curl
    command and the SDK snippet send exactly it."""
    from playground.ui.tuning.export import export_body

    settings = RunSettings.from_ui({"model": "tiny", "system": "Be brief", "temperature": "0.4", "max_tokens": 40,
                                    "stop_sequences": "END", "stream": False})
    body, base = export_body("settings", None, "What is a lighthouse?", settings, proxy.api_base)
    assert base == proxy.api_base and "stream" not in body and body["temperature"] == 0.4
    for args in (["bash", "-c", exports.to_curl(body, api_base=base) + " --silent"],
                 [sys.executable, "-c", exports.to_sdk_python(body, api_base=base)]):
        code, out, err = await _run(args)
        assert code == 0, err
        assert proxy.bodies[-1] == body
        assert "error" not in out[:40]


def test_package_snippet_needs_max_tokens_and_keeps_unknown_fields():
    with pytest.raises(ValueError, match="max_tokens"):
        exports.to_package_python({"model": "m", "messages": []})
    body = {"model": "m", "max_tokens": 9, "messages": [], "metadata": {"user_id": "u1"},
            "output_config": {"effort": "low"}}
    snippet = exports.to_package_python(body)
    assert "effort='low'" in snippet and "extra_data={'metadata': {'user_id': 'u1'}}" in snippet
    compile(snippet, "<snippet>", "exec")  # valid Python
