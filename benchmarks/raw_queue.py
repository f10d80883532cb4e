"""A minimal Gradio queue client that does what the page does, counting the bytes it receives.

The Playground's events are private (no gradio_client endpoint), so this speaks the page's own
protocol: read ``/config``, find the event bound to a component (by ``elem_id``) and trigger, send
its inputs (the components' current values; ``gr.State`` inputs travel as ``null`` and live on the
server) with ``POST /gradio_api/queue/join``, and read ``GET /gradio_api/queue/data`` (SSE) until
the event completes. ``heartbeat()`` holds the connection whose end tells Gradio the page closed.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests


@dataclass
class Result:
    """One event's outcome: its final output values and how much came down the stream."""

    output: list[Any]
    bytes_received: int
    messages: int


@dataclass
class Page:
    """One visitor (one Gradio session) on the app at ``url``."""

    url: str
    session_hash: str = field(default_factory=lambda: uuid.uuid4().hex[:11])
    config: dict[str, Any] = field(default_factory=dict)
    values: dict[int, Any] = field(default_factory=dict)  # component id -> its value as the page holds it
    http: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.url = self.url.rstrip("/")
        self.config = self.http.get(f"{self.url}/config", timeout=30).json()
        for comp in self.config["components"]:
            self.values[comp["id"]] = comp.get("props", {}).get("value")
        self._stateful = {c["id"] for c in self.config["components"] if c.get("type") == "state"}
        self._heartbeat: requests.Response | None = None

    def component(self, elem_id: str) -> int:
        """The id of the component with this ``elem_id``."""
        for comp in self.config["components"]:
            if comp.get("props", {}).get("elem_id") == elem_id:
                return comp["id"]
        raise KeyError(elem_id)

    def event(self, elem_id: str | None, trigger: str) -> int:
        """The dependency index of the first event on ``elem_id`` (None: the app itself, e.g. ``load``)."""
        target = self.component(elem_id) if elem_id else None
        for n, dep in enumerate(self.config["dependencies"]):
            for block, name in dep.get("targets", []):
                if name == trigger and (target is None or block == target):
                    return dep.get("id", n)
        raise KeyError(f"{elem_id}.{trigger}")

    def load(self) -> int:
        """Run what the page runs when it loads: the ``load`` events and what follows them (``.then``).
        Returns the bytes received."""
        deps = self.config["dependencies"]
        ids = [d.get("id", n) for n, d in enumerate(deps) if any(t[1] == "load" for t in d.get("targets", []))]
        chain, received = list(ids), 0
        while chain:
            fn = chain.pop(0)
            received += self.trigger(fn).bytes_received
            chain += [d.get("id", n) for n, d in enumerate(deps) if d.get("trigger_after") == fn]
        return received

    def trigger(self, fn_index: int, overrides: dict[int, Any] | None = None) -> Result:
        """Run event ``fn_index`` with the page's values (``overrides`` by component id); returns its result
        and applies its final outputs to the page's values, as the browser would."""
        dep = next(d for n, d in enumerate(self.config["dependencies"]) if d.get("id", n) == fn_index)
        data = [None if i in self._stateful else (overrides or {}).get(i, self.values.get(i)) for i in dep["inputs"]]
        joined = self.http.post(f"{self.url}/gradio_api/queue/join", json={
            "data": data, "fn_index": fn_index, "session_hash": self.session_hash, "event_data": None,
            "trigger_id": dep["targets"][0][0] if dep.get("targets") else None}, timeout=30)
        joined.raise_for_status()
        received = messages = 0
        output: list[Any] = []
        with self.http.get(f"{self.url}/gradio_api/queue/data", params={"session_hash": self.session_hash},
                           stream=True, timeout=120) as stream:
            for line in stream.iter_lines():
                received += len(line) + 1
                if not line.startswith(b"data:"):
                    continue
                messages += 1
                msg = json.loads(line[5:])
                if msg.get("msg") == "process_completed":
                    if not msg.get("success", True):
                        raise RuntimeError(f"event {fn_index} failed: {msg.get('output')}")
                    output = msg.get("output", {}).get("data", [])
                    break
        for comp_id, value in zip(dep["outputs"], output, strict=False):
            if not (isinstance(value, dict) and value.get("__type__") == "update"):
                self.values[comp_id] = value
        return Result(output, received, messages)

    def open(self) -> None:
        """Hold the heartbeat connection (what a loaded page does) on a background thread."""
        ready = threading.Event()

        def hold() -> None:
            try:
                self._heartbeat = self.http.get(f"{self.url}/gradio_api/heartbeat/{self.session_hash}",
                                                stream=True, timeout=None)
                ready.set()
                for _ in self._heartbeat.iter_lines():
                    pass
            except (requests.RequestException, AttributeError, ValueError):
                ready.set()

        threading.Thread(target=hold, daemon=True).start()
        ready.wait(30)

    def close(self) -> None:
        """Drop the heartbeat connection: to Gradio, the page closed."""
        if self._heartbeat is not None:
            self._heartbeat.close()
            self._heartbeat = None
        self.http.close()
