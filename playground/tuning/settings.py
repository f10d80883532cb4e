"""The settings one tuning run is made of, and their mapping to provider kwargs and to a wire body."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .. import catalog

DEFAULT_API_VERSION = "2023-06-01"


@dataclass(frozen=True)
class RunSettings:
    """Model and sampling parameters for one request. ``None`` means "do not send it"."""

    model: str = catalog.EMULATOR_MODEL
    system: str = ""
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_tokens: int = 1024
    stop: tuple[str, ...] = ()
    thinking_budget: int | None = None  # extended thinking budget in tokens (None = off)
    effort: str | None = None
    label: str = field(default="", compare=False)

    def with_values(self, **values: Any) -> RunSettings:
        """A copy with some fields changed (``stop`` may be any sequence of strings)."""
        if "stop" in values and values["stop"] is not None:
            values["stop"] = tuple(values["stop"])
        if "model" in values:
            values["model"] = catalog.resolve(values["model"])
        return replace(self, **values)

    def params(self) -> dict[str, Any]:
        """The parameters that are set, as plain JSON-able values (for history, tables, diffs)."""
        out: dict[str, Any] = {}
        for name in ("temperature", "top_p", "top_k", "max_tokens", "thinking_budget", "effort"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.stop:
            out["stop"] = list(self.stop)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-able (presets, share links)."""
        data = asdict(self)
        data["stop"] = list(self.stop)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSettings:
        """The inverse of :meth:`to_dict`; unknown keys are ignored."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if "stop" in known:
            known["stop"] = tuple(known["stop"] or ())
        return cls(**known)

    def provider_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Anthropic.create_async_generator`` (besides model and messages)."""
        kwargs: dict[str, Any] = {"max_tokens": int(self.max_tokens)}
        if self.system:
            kwargs["system"] = self.system
        for name in ("temperature", "top_p", "top_k", "effort"):
            if getattr(self, name) is not None:
                kwargs[name] = getattr(self, name)
        if self.stop:
            kwargs["stop"] = list(self.stop)
        if self.thinking_budget:
            kwargs["thinking"] = int(self.thinking_budget)
        return kwargs

    def to_body(self, messages: list[dict[str, Any]], *, stream: bool = False) -> dict[str, Any]:
        """The Messages API request body these settings produce (used to export settings not yet run)."""
        body: dict[str, Any] = {"model": self.model, "max_tokens": int(self.max_tokens), "messages": messages}
        if self.system:
            body["system"] = self.system
        for name in ("temperature", "top_p", "top_k"):
            if getattr(self, name) is not None:
                body[name] = getattr(self, name)
        if self.stop:
            body["stop_sequences"] = list(self.stop)
        if self.thinking_budget:
            body["thinking"] = {"type": "enabled", "budget_tokens": int(self.thinking_budget)}
        if self.effort:
            body["output_config"] = {"effort": self.effort}
        if stream:
            body["stream"] = True
        return body


def user_messages(prompt: str) -> list[dict[str, Any]]:
    """A one-turn conversation from a prompt."""
    return [{"role": "user", "content": prompt}]
