"""The newer Messages request fields (reference batches-files-structured §4): checked for shape, and
answered the way an offline server sensibly can.

=======================  ===================================================================
``service_tier``         ``auto`` / ``standard_only``; usage says ``standard`` either way
``inference_geo``        any string (or null); echoed in ``usage.inference_geo``
``speed``                ``standard`` / ``fast`` (or null); echoed in ``usage.speed``
``diagnostics``          ``{previous_message_id}``; the reply carries ``diagnostics`` with
                         ``cache_miss_reason: null`` ("diagnosis pending")
``container``            an id or ``{id?, skills?}``; accepted (no code execution runs offline)
``context_management``   ``{edits: [...]}`` of the three documented edit types; nothing is ever
                         cleared offline, so the reply says ``applied_edits: []``
``fallbacks``            ``"default"`` or ``[{model, ...}]`` (models must exist); the emulator
                         never declines, so a fallback never runs
``mcp_servers``          ``[{type: "url", name, url, ...}]``; a non-empty list is a 400: the
                         offline emulator cannot reach an MCP server
``thread``               ``{type: "create"}`` / ``{type: "continue", previous_message_id}``;
                         the conversation is held by :mod:`.threads`
=======================  ===================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playground import catalog

from .apierror import ApiError, invalid

EDIT_TYPES = ("clear_tool_uses_20250919", "clear_thinking_20251015", "compact_20260112")


@dataclass
class Extras:
    """What the reply echoes back of the newer fields."""

    speed: str | None = None
    inference_geo: str | None = None
    diagnostics: bool = False
    context_management: bool = False

    def usage_fields(self) -> dict[str, str]:
        """Extra ``usage`` keys."""
        out = {}
        if self.speed is not None:
            out["speed"] = self.speed
        if self.inference_geo is not None:
            out["inference_geo"] = self.inference_geo
        return out

    def message_fields(self) -> dict[str, Any]:
        """Extra top-level keys of the ``Message``."""
        out: dict[str, Any] = {}
        if self.context_management:
            out["context_management"] = {"applied_edits": []}
        if self.diagnostics:
            out["diagnostics"] = {"cache_miss_reason": None}
        return out


def _choice(body: dict, name: str, allowed: tuple[str, ...], *, nullable: bool = True) -> str | None:
    value = body.get(name)
    if value is None and nullable:
        return None
    if value not in allowed:
        options = " or ".join(f"'{a}'" for a in allowed)
        raise invalid(f"{name}: Input should be {options}", name)
    return value


def _dict(value: Any, path: str) -> dict:
    if not isinstance(value, dict):
        raise invalid(f"{path}: Input should be a valid dictionary", path)
    return value


def _only(value: dict, path: str, allowed: set[str]) -> None:
    for key in value:
        if key not in allowed:
            raise invalid(f"{path}.{key}: Extra inputs are not permitted", f"{path}.{key}")


def _string(value: Any, path: str, *, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    if not isinstance(value, str) or not value:
        raise invalid(f"{path}: Input should be a valid string", path)


def parse_extras(body: dict) -> Extras:
    """Check the newer fields of ``body``; raise a 400 (404 for an unknown fallback model)."""
    extras = Extras()
    if "service_tier" in body:
        _choice(body, "service_tier", ("auto", "standard_only"), nullable=False)
    extras.speed = _choice(body, "speed", ("standard", "fast"))
    if body.get("inference_geo") is not None:
        _string(body["inference_geo"], "inference_geo")
        extras.inference_geo = body["inference_geo"]
    if "diagnostics" in body and body["diagnostics"] is not None:
        diag = _dict(body["diagnostics"], "diagnostics")
        _only(diag, "diagnostics", {"previous_message_id"})
        _string(diag.get("previous_message_id"), "diagnostics.previous_message_id", nullable=True)
        extras.diagnostics = True
    if body.get("container") is not None:
        _container(body["container"])
    if body.get("context_management") is not None:
        _context_management(body["context_management"])
        extras.context_management = True
    if body.get("fallbacks") is not None:
        _fallbacks(body["fallbacks"])
    if body.get("mcp_servers") is not None:
        _mcp_servers(body["mcp_servers"])
    if body.get("thread") is not None:
        check_thread(body["thread"])
    return extras


def _container(value: Any) -> None:
    if isinstance(value, str):
        return
    container = _dict(value, "container")
    _only(container, "container", {"id", "skills"})
    _string(container.get("id"), "container.id", nullable=True)
    skills = container.get("skills")
    if skills is None:
        return
    if not isinstance(skills, list):
        raise invalid("container.skills: Input should be a valid list", "container.skills")
    for i, skill in enumerate(skills):
        path = f"container.skills.{i}"
        _only(_dict(skill, path), path, {"skill_id", "type", "version"})
        _string(skill.get("skill_id"), f"{path}.skill_id")
        if skill.get("type") not in ("anthropic", "custom"):
            raise invalid(f"{path}.type: Input should be 'anthropic' or 'custom'", f"{path}.type")


def _context_management(value: Any) -> None:
    config = _dict(value, "context_management")
    _only(config, "context_management", {"edits"})
    edits = config.get("edits", [])
    if not isinstance(edits, list):
        raise invalid("context_management.edits: Input should be a valid list", "context_management.edits")
    for i, edit in enumerate(edits):
        path = f"context_management.edits.{i}"
        kind = _dict(edit, path).get("type")
        if kind not in EDIT_TYPES:
            expected = ", ".join(f"'{t}'" for t in EDIT_TYPES)
            raise invalid(f"{path}: Input tag {kind!r} found using 'type' does not match any of the expected tags: "
                          f"{expected}", f"{path}.type")


def _fallbacks(value: Any) -> None:
    if value == "default":
        return
    if not isinstance(value, list) or not value:
        raise invalid("fallbacks: Input should be 'default' or a non-empty list of fallback models", "fallbacks")
    for i, fallback in enumerate(value):
        path = f"fallbacks.{i}"
        entry = _dict(fallback, path)
        _only(entry, path, {"model", "max_tokens", "output_config", "speed", "thinking"})
        if "model" not in entry:
            raise invalid(f"{path}.model: Field required", f"{path}.model")
        _string(entry["model"], f"{path}.model")
        if catalog.get(entry["model"]) is None:
            raise ApiError(404, f"{path}.model: {entry['model']}", param=f"{path}.model")
        tokens = entry.get("max_tokens")
        if tokens is not None and (isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 1):
            raise invalid(f"{path}.max_tokens: Input should be an integer greater than or equal to 1",
                          f"{path}.max_tokens")


def _mcp_servers(value: Any) -> None:
    if not isinstance(value, list):
        raise invalid("mcp_servers: Input should be a valid list", "mcp_servers")
    for i, server in enumerate(value):
        path = f"mcp_servers.{i}"
        entry = _dict(server, path)
        _only(entry, path, {"type", "name", "url", "authorization_token", "tool_configuration"})
        if entry.get("type") != "url":
            raise invalid(f"{path}.type: Input should be 'url'", f"{path}.type")
        _string(entry.get("name"), f"{path}.name")
        _string(entry.get("url"), f"{path}.url")
    if value:
        raise invalid(f"mcp_servers.0: the offline emulator cannot connect to MCP servers ({value[0]['url']}); "
                      "remove mcp_servers, or use the real API", "mcp_servers")


def check_thread(value: Any) -> dict:
    """The ``thread`` object, checked for shape."""
    thread = _dict(value, "thread")
    kind = thread.get("type")
    if kind == "create":
        _only(thread, "thread", {"type"})
    elif kind == "continue":
        _only(thread, "thread", {"type", "previous_message_id"})
        _string(thread.get("previous_message_id"), "thread.continue.previous_message_id")
    else:
        raise invalid("thread: Input tag found using 'type' does not match any of the expected tags: 'create', "
                      "'continue'", "thread.type")
    return thread
