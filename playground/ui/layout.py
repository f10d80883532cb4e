"""The Playground's page furniture: the header (name, backend in use, light/dark switch), the banner
for each backend, the one-line summaries on the collapsed settings sections, and the page script
(keyboard hint, theme, phone layout). Pure functions of component values -> text or updates.
"""

from __future__ import annotations

import html
from typing import Any

import gradio as gr

from playground.backends import BACKENDS, Backends, get_backend
from playground.settings import FIELDS

TITLE = "Anthropic Playground"
KEY_HINT = "Enter sends · Shift+Enter adds a line · Ctrl/⌘+Enter sends too"
# The sections collapsed by default, with their titles (the summary follows the title).
SECTION_TITLES = {
    "thinking_section": "Thinking",
    "tools_panel": "Tools",
    "caching_section": "Prompt caching",
    "format_panel": "Response format and API version",
    "offline_options": "Offline emulator options",
}
SHORT_LABELS = {kind: row.label.split(" (")[0] for kind, row in BACKENDS.items()}  # without "(no key needed)"

# Runs once in the browser when the page loads: the light/dark choice saved by the header's switch,
# and Ctrl/Cmd+Enter in the message box sends (Gradio's box sends on a plain Enter only: it listens
# to keypress, which Chromium does not fire with Ctrl held).
PAGE_JS = """
() => {
  const saved = localStorage.getItem('playground-theme');
  if (saved === 'dark') document.body.classList.add('dark');
  if (saved === 'light') document.body.classList.remove('dark');
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || !(e.ctrlKey || e.metaKey) || e.isComposing) return;
    if (!(e.target instanceof Element) || !e.target.closest('#prompt')) return;
    e.preventDefault();
    document.querySelector('#send')?.click();
  }, true);
}
"""
# The header's switch: flip Gradio's own dark class (what ?__theme=dark sets) and remember it.
TOGGLE_THEME_JS = """
() => {
  const dark = document.body.classList.toggle('dark');
  localStorage.setItem('playground-theme', dark ? 'dark' : 'light');
}
"""


def header_html(kind: str) -> str:
    """The page header: the name and the backend in use (the switch is a button beside it)."""
    label = html.escape(SHORT_LABELS.get(kind, kind))
    return (f'<div class="pg-header"><h1 id="page_title">{TITLE}</h1>'
            f'<span id="backend_badge" class="pg-badge" data-backend="{html.escape(kind)}">{label}</span></div>')


def banner(backends: Backends, kind: str) -> str:
    """The short line under the header for backend ``kind``: what it is and what it needs."""
    row = get_backend(kind)
    if row.is_offline:
        return ("The **offline emulator** is selected: it runs here and needs no key. For the real API pick "
                "*Anthropic API*" + (" and paste a key." if not backends.has_server_key else "."))
    if row.takes_base_url:
        return "An **OpenAI-compatible endpoint** is selected: give its base URL and, if it needs one, a key."
    if backends.has_server_key:
        return f"The **{row.label}** is selected, with the server's key. Paste your own key to use it instead."
    return f"The **{row.label}** is selected: paste your API key below (kept only in this browser session)."


def key_hint(backends: Backends, kind: str, api_key: str | None) -> str:
    """The calm note at the key box ("" when there is nothing to say: Gradio drops a None update).
    A missing key is a hint, not an error, until the user sends."""
    row = get_backend(kind)
    if row.needs_key and not (api_key or "").strip() and not backends.has_server_key:
        return "Paste an Anthropic API key to send (it stays in this browser session)."
    if row.is_offline:
        return "Not needed for the offline emulator."
    return ""


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def section_summaries(*values: Any) -> tuple[Any, ...]:
    """Accordion label updates for the collapsed sections (``SECTION_TITLES`` order) from the settings
    component values (``FIELDS`` order): see :func:`section_labels`."""
    return tuple(gr.update(label=label) for label in section_labels(dict(zip(FIELDS, values, strict=True))).values())


def section_labels(v: dict[str, Any]) -> dict[str, str]:
    """Each collapsed section's title followed by a one-line summary of what is set in it, from the
    settings component values by field name. Lenient: a bad value is the field check's business."""
    thinking = v.get("thinking") or "off"
    parts = [f"budget {v.get('thinking_budget')}" if thinking == "budget" else thinking]
    if v.get("effort"):
        parts.append(f"effort {v['effort']}")
    tools_text = (v.get("tools") or "").strip()
    tools = "none" if not tools_text or tools_text == "[]" else (
        _count(tools_text.count('"name"'), "tool") if '"name"' in tools_text else "set")
    if tools != "none" and (v.get("tool_choice") or "auto") != "auto":
        tools += f", choice {v['tool_choice']}"
    cache = {"off": "off", "system": "system prompt", "auto": "whole prompt"}.get(v.get("cache") or "off", "off")
    if cache != "off":
        cache += f", TTL {v.get('cache_ttl') or '5m'}"
    fmt = "JSON" if (v.get("response_format") or "").strip() else "text"
    offline = [name for name, on in (("fault " + str(v.get("fault")), bool(v.get("fault"))),
                                     ("run to max_tokens", bool(v.get("endless"))),
                                     ("redacted thinking", bool(v.get("redact_thinking")))) if on]
    summaries = {"thinking_section": ", ".join(parts), "tools_panel": tools, "caching_section": cache,
                 "format_panel": f"{fmt}, {v.get('api_version') or 'default version'}",
                 "offline_options": ", ".join(offline) or "none"}
    return {key: f"{title} · {summaries[key]}" for key, title in SECTION_TITLES.items()}


# The settings whose change can change a section's summary.
SUMMARY_FIELDS = ("thinking", "thinking_budget", "effort", "tools", "tool_choice", "cache", "cache_ttl",
                  "response_format", "api_version", "fault", "endless", "redact_thinking")
