"""One request's settings: :class:`RunSettings`, and every conversion it takes part in.

Every tab (Playground, Compare columns, Sweep base and cells, History rerun, Export, Share, Presets)
and the eval runner describe a request with this one immutable object. Each conversion lives here,
once:

    settings = RunSettings.from_ui(values)          # the Playground's component values -> settings
    settings.to_ui()                                 # ... and back (component values)
    settings.to_json() / RunSettings.from_json(d)    # presets, share links, history, eval specs
    fitted, notes = settings.fit()                   # drop what the model does not take, say so
    settings.problems()                              # what the model would refuse: (field, fix) pairs
    settings.to_kwargs()                             # -> Anthropic/OpenaiAPI.create_async_generator
    settings.to_body(messages)                       # the wire body, from the provider's own builder

JSON names are the field names (the Playground's setting names). ``None`` / ``""`` / ``()`` mean
"not sent": the model's default applies.

Stop sequences are typed in the UI one per line; inside a line ``\\n``, ``\\t`` and ``\\\\`` stand
for a newline, a tab and a backslash, so a sequence may hold newlines. Spaces are kept exactly.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import catalog, jsondepth
from .apiversion import DEFAULT_API_VERSION, removes_sampling, sampling_removed_reason
from .backends import BACKENDS, Backend, get_backend
from .errors import ParameterError

THINKING_MODES = ("off", "budget", "adaptive")
# Prompt caching: a breakpoint on the system prompt, or the API's automatic one (top-level
# ``cache_control``: on the last cacheable block, so each turn reads what the previous one wrote).
CACHE_MODES = ("off", "system", "auto")
CACHE_TTLS = ("5m", "1h")
EFFORTS = ("low", "medium", "high", "xhigh", "max")
# Offline emulator switches (sent to the offline backend only, as request headers): fault injection,
# running to max_tokens instead of ending after a few sentences (long streams for demos/benchmarks),
# and answering thinking as redacted_thinking (to see how an opaque block looks and goes back).
FAULT_HEADER = "x-emulator-fault"
ENDLESS_HEADER = "x-emulator-no-eos"
REDACT_THINKING_HEADER = "x-emulator-redact-thinking"
OFFLINE_ONLY = ("fault", "endless", "redact_thinking")
SAMPLING = ("temperature", "top_p", "top_k")


class SettingsError(ParameterError):
    """One or more fields were refused; ``problems`` lists ``(field, message)`` for each."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = list(problems)
        first_field, first_message = self.problems[0]
        super().__init__(first_field, first_message)
        if len(self.problems) > 1:
            self.args = ("; ".join(f"{f}: {m}" for f, m in self.problems),)


@dataclass(frozen=True)
class RunSettings:
    """A complete, immutable description of one request (everything but the conversation and the key)."""

    backend: str = "offline"  # offline | anthropic | openai (playground.backends)
    base_url: str = ""  # the OpenAI-compatible endpoint's base URL
    model: str = ""  # "" = the backend's default model
    system: str = ""
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_tokens: int = 1024
    stop_sequences: tuple[str, ...] = ()
    thinking: str = "off"  # off | budget | adaptive
    thinking_budget: int = 2048  # sent only with thinking == "budget"
    effort: str = ""  # output_config.effort; "" = not sent
    stream: bool = True
    tools: tuple[Mapping[str, Any], ...] = ()
    tool_choice: str = "auto"  # auto | any | none | tool:NAME
    cache: str = "off"  # off | system | auto
    cache_ttl: str = "5m"
    response_format: Mapping[str, Any] | None = None  # OpenAI's shape: {"type": "json_schema", ...}
    api_version: str = DEFAULT_API_VERSION
    files_api: bool = False  # Playground uploads sent by Files API id (playground.uploads), where the backend has Files
    fault: str = ""  # offline only
    endless: bool = False  # offline only
    redact_thinking: bool = False  # offline only

    def __hash__(self) -> int:  # tools/response_format are dicts: hash the canonical JSON
        return hash(json.dumps(self.to_json(), sort_keys=True))

    # -- building ---------------------------------------------------------------------------
    def replace(self, **changes: Any) -> RunSettings:
        """A copy with some fields changed, each checked like :meth:`from_json` (raises SettingsError)."""
        if not changes:
            return self
        return RunSettings.from_json({**self.to_json(), **changes})

    @property
    def backend_row(self) -> Backend:
        """This request's row of the backend table (what it supports, which key it may use)."""
        return get_backend(self.backend)

    @property
    def model_id(self) -> str:
        """The model as sent: aliases resolved; blank -> the backend's preferred model."""
        if not self.model.strip():
            return self.backend_row.default_model or catalog.DEFAULT_MODEL
        return catalog.resolve(self.model.strip())

    # -- JSON ------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """Every field as plain JSON values (names = field names)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["stop_sequences"] = list(self.stop_sequences)
        out["tools"] = [dict(t) for t in self.tools]
        out["response_format"] = dict(self.response_format) if self.response_format is not None else None
        return out

    def changed(self) -> dict[str, Any]:
        """Only the fields that differ from the defaults (compact JSON for links, tables and history)."""
        default = _DEFAULT.to_json()
        return {k: v for k, v in self.to_json().items() if v != default[k]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunSettings:
        """Settings from JSON; raises :class:`SettingsError` naming every unknown or invalid field."""
        settings, problems = cls.parse_json(data)
        if problems:
            raise SettingsError(problems)
        return settings

    @classmethod
    def parse_json(cls, data: Mapping[str, Any]) -> tuple[RunSettings, list[tuple[str, str]]]:
        """Lenient :meth:`from_json`: the valid fields, and ``(field, message)`` for each one refused."""
        if not isinstance(data, Mapping):
            return _DEFAULT, [("settings", f"expected a JSON object, got {type(data).__name__}.")]
        values: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        for name, raw in data.items():
            check = _FIELD_CHECKS.get(name)
            if check is None:
                problems.append((str(name), "unknown setting."))
                continue
            try:
                values[name] = check(raw)
            except ValueError as exc:
                problems.append((name, str(exc)))
        return cls(**values), problems

    # -- UI ----------------------------------------------------------------------------------------
    @classmethod
    def from_ui(cls, values: Mapping[str, Any]) -> RunSettings:
        """The Playground's component values (keyed by ``FIELDS``; missing keys take the defaults) ->
        settings. Blank number boxes mean "not sent". Raises SettingsError naming each bad field."""
        data: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        for name, raw in values.items():
            if name not in _FIELD_CHECKS:
                continue  # other components ride along in some tabs (e.g. the key box): not settings
            if name == "thinking_budget" and values.get("thinking") != "budget" and _number_or_none(raw) is None:
                continue  # a blank or bad budget box does not matter while the budget is not sent
            try:
                data[name] = _UI_PARSERS.get(name, _identity)(raw)
            except ValueError as exc:
                problems.append((name, str(exc)))
        settings, more = cls.parse_json(data)
        problems += [p for p in more if p[0] not in {q[0] for q in problems}]
        if problems:
            raise SettingsError(problems)
        return settings

    def to_ui(self) -> dict[str, Any]:
        """Component values for the Playground's controls (the inverse of :meth:`from_ui`)."""
        out = self.to_json()
        for name in (*SAMPLING,):
            out[name] = number_text(getattr(self, name))
        out["stop_sequences"] = stop_text(self.stop_sequences)
        out["tools"] = json.dumps(out["tools"], indent=2, ensure_ascii=False) if self.tools else ""
        out["response_format"] = json.dumps(out["response_format"], indent=2, ensure_ascii=False) \
            if self.response_format else ""
        return out

    # -- model rules -------------------------------------------------------------------------------
    def fit(self, keep: Sequence[str] = ()) -> tuple[RunSettings, list[str]]:
        """These settings as the model takes them: values its rules disable (sampling on a model without
        it, an effort it lacks, a thinking mode it does not offer, offline switches on a real backend)
        are cleared, each with a note saying what was left out and why. A field named in ``keep`` (one
        the user chose in this very tab, such as a swept parameter) is never dropped quietly: it raises
        SettingsError with the reason instead."""
        changes, notes = _unfit(self)
        refused = [(name, notes[name].split(": ", 1)[-1]) for name in keep if name in notes]
        if refused:
            raise SettingsError(refused)
        if not changes:
            return self, []
        return dataclasses.replace(self, **changes), list(notes.values())

    def problems(self) -> list[tuple[str, str]]:
        """What the model would refuse in these settings as sent (after :meth:`fit`), ``(field, fix)``."""
        from .params import collect_problems

        fitted, _ = self.fit()
        kwargs = fitted.to_kwargs()
        cache = fitted.cache_problem()
        return ([cache] if cache else []) + collect_problems(fitted.model_id, temperature=kwargs.get("temperature"), top_p=kwargs.get("top_p"),
                                top_k=kwargs.get("top_k"), max_tokens=kwargs["max_tokens"], stop=kwargs.get("stop"),
                                thinking=kwargs.get("thinking"), tool_choice=kwargs.get("tool_choice"),
                                effort=kwargs.get("effort"), api_version=kwargs.get("api_version"))

    # -- the request -----------------------------------------------------------------------------
    def to_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``create_async_generator`` besides model, messages and the key/base URL.
        Only what is sent is included. The caller decides whether to :meth:`fit` first."""
        kwargs: dict[str, Any] = {"max_tokens": self.max_tokens, "stream": self.stream}
        system: Any = self.system if self.system.strip() else None
        for name in SAMPLING:
            if getattr(self, name) is not None:
                kwargs[name] = getattr(self, name)
        if self.stop_sequences:
            kwargs["stop"] = list(self.stop_sequences)
        if self.tools:
            kwargs["tools"] = [dict(t) for t in self.tools]
            choice = tool_choice_object(self.tool_choice)
            if choice is not None:
                kwargs["tool_choice"] = choice
        if self.thinking == "budget":
            kwargs["thinking"] = self.thinking_budget
        elif self.thinking == "adaptive":
            kwargs["thinking"] = {"type": "adaptive"}
        if self.effort:
            kwargs["effort"] = self.effort
        if self.response_format is not None:
            kwargs["response_format"] = dict(self.response_format)
        row = self.backend_row
        if self.api_version != DEFAULT_API_VERSION and row.messages_api:  # an Anthropic header
            kwargs["api_version"] = self.api_version
        if row.supports_cache and self.cache != "off":  # cache_control is a Messages API field
            control = {"type": "ephemeral"} if self.cache_ttl == "5m" else {"type": "ephemeral", "ttl": self.cache_ttl}
            if self.cache == "system" and system is not None:
                system = [{"type": "text", "text": self.system, "cache_control": control}]
            elif self.cache == "auto":
                kwargs["extra_data"] = {"cache_control": control}
        if system is not None:
            kwargs["system"] = system
        if row.emulator_switches:  # never send test headers to a real backend
            headers = {FAULT_HEADER: self.fault} if self.fault else {}
            if self.endless:
                headers[ENDLESS_HEADER] = "1"
            if self.redact_thinking:
                headers[REDACT_THINKING_HEADER] = "1"
            if headers:
                kwargs["headers"] = headers
        return kwargs

    def to_body(self, messages: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """The Messages API body these settings send with ``messages``, built by the provider's own
        request builder (the same function a run uses), so an export is exactly what a run sends."""
        from .providers.anthropic_request import build_body
        from .providers.response_format import anthropic_output_format

        kwargs = {k: v for k, v in self.to_kwargs().items() if k not in ("headers", "api_version")}
        output_format = anthropic_output_format(kwargs.pop("response_format", None))
        return build_body(self.model_id, messages, output_format=output_format, **kwargs)

    def cache_problem(self) -> tuple[str, str] | None:
        """Caching the system prompt needs one: ``("cache", fix)`` when there is none."""
        if self.cache == "system" and not self.system.strip() and self.backend_row.supports_cache:
            return ("cache", "there is no system prompt to cache: write one, or cache the whole prompt.")
        return None


def upgrade_json(data: Mapping[str, Any]) -> dict[str, Any]:
    """Settings JSON written before :class:`RunSettings` held every field (history ``params`` and presets
    of earlier versions) -> today's names: ``stop`` -> ``stop_sequences``, a thinking budget or object ->
    ``thinking`` + ``thinking_budget``, ``cache`` as ``{"on", "ttl"}`` -> ``cache`` + ``cache_ttl``, the
    ``playground`` extras of old presets merged in; tool names (old history kept only those) dropped."""
    if not isinstance(data, Mapping):
        return {}
    out = {k: v for k, v in data.items() if k not in ("stop", "label", "playground")}
    extras = data.get("playground")
    if isinstance(extras, Mapping):
        out.update(extras)
        if isinstance(out.get("tools"), str):  # old presets kept the tools box's text
            try:
                out["tools"] = json.loads(out["tools"])
            except json.JSONDecodeError:
                pass
    if "stop" in data and "stop_sequences" not in data:
        out["stop_sequences"] = data["stop"] or []
    thinking = data.get("thinking")
    if isinstance(thinking, int) and not isinstance(thinking, bool):
        out["thinking"], out["thinking_budget"] = "budget", thinking
    elif isinstance(thinking, Mapping):
        out["thinking"] = {"enabled": "budget", "adaptive": "adaptive"}.get(thinking.get("type"), "off")
        if thinking.get("budget_tokens"):
            out["thinking_budget"] = thinking["budget_tokens"]
    elif thinking in (None, "") and isinstance(data.get("thinking_budget"), int):
        out["thinking"] = "budget"
    if data.get("thinking_budget") is None and "thinking_budget" in out:
        out.pop("thinking_budget")
    cache = data.get("cache")
    if isinstance(cache, Mapping):
        out["cache"] = cache.get("on", "off")
        out["cache_ttl"] = cache.get("ttl", "5m")
    tools = out.get("tools")
    if isinstance(tools, list) and any(isinstance(t, str) for t in tools):
        out.pop("tools")
    if isinstance(out.get("tool_choice"), Mapping):
        choice = out["tool_choice"]
        out["tool_choice"] = f"tool:{choice.get('name')}" if choice.get("type") == "tool" else choice.get("type", "auto")
    if out.get("effort") is None:
        out.pop("effort", None)
    return out


# -- field checks (JSON values -> field values; ValueError says what is wrong) -------------------------
def _identity(value: Any) -> Any:
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {type(value).__name__}.")
    return value


def _choice(options: Sequence[str], default: str) -> Any:
    def check(value: Any) -> str:
        value = default if value in (None, "") else value
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {value!r:.60}.")
        return value
    return check


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in (None, "", 0, "0", "false", "False"):
        return False
    if value in (1, "1", "true", "True"):
        return True
    raise ValueError(f"expected true or false, got {value!r:.60}.")


def _number(value: Any, *, integer: bool = False) -> float | int | None:
    """A JSON or UI number: blank -> None; non-numbers, non-finite and fractional integers refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number, got {value!r:.60}.") from None
    if not math.isfinite(number):
        raise ValueError("must be a finite number.")
    if integer:
        if number != int(number):
            raise ValueError(f"must be a whole number, got {value!r:.60}.")
        return int(number)
    return number


def _number_or_none(value: Any) -> float | None:
    try:
        return _number(value)
    except ValueError:
        return None


def _unit(value: Any) -> float | None:
    number = _number(value)
    if number is not None and not 0 <= number <= 1:
        raise ValueError(f"must be a number from 0 to 1, got {number:g}.")
    return number


def _top_k(value: Any) -> int | None:
    number = _number(value, integer=True)
    if number is not None and number < 1:
        raise ValueError(f"must be a whole number of at least 1, got {number}.")
    return number  # type: ignore[return-value]


def _positive_int(value: Any) -> int:
    number = _number(value, integer=True)
    if number is None or number < 1:
        shown = "nothing" if number is None else number
        raise ValueError(f"must be a whole number of at least 1, got {shown}.")
    return int(number)


def _budget(value: Any) -> int:
    number = _number(value, integer=True)
    if number is None:
        raise ValueError("give a token budget (at least 1024) or turn thinking off.")
    return int(number)


def _stops(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence) or not all(isinstance(s, str) for s in value):
        raise ValueError(f"expected a list of strings, like [\"END\"], got {value!r:.60}.")
    for i, seq in enumerate(value):
        if not seq.strip():
            raise ValueError(f"stop sequence {i + 1} is empty or whitespace ({seq!r}); remove it.")
    return tuple(value)


def json_depth_problem(value: Any) -> str | None:
    """Why ``value`` is nested too deeply to take, or None (one limit for every JSON field: jsondepth)."""
    if jsondepth.depth(value) > jsondepth.MAX_JSON_DEPTH:
        return f"nests deeper than {jsondepth.MAX_JSON_DEPTH} levels; flatten it."
    return None


def _tools(value: Any) -> tuple[Mapping[str, Any], ...]:
    if value is None or value == "" or value == []:
        return ()
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(t, Mapping) for t in value):
        raise ValueError('expected a JSON list of tool objects like '
                         '[{"name": "get_weather", "input_schema": {"type": "object"}}].')
    deep = json_depth_problem(value)
    if deep:
        raise ValueError(deep)
    for i, tool in enumerate(value):
        if not isinstance(tool.get("name"), str) or not tool["name"]:
            raise ValueError(f'tool {i} has no "name".')
    return tuple(json.loads(json.dumps(list(value))))  # a deep copy the caller cannot change under us


_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")  # the API's rule for tool names


def _tool_choice(value: Any) -> str:
    choice = (value or "auto").strip() if isinstance(value, str) else value
    if not isinstance(choice, str):
        raise ValueError(f"expected auto, any, none or tool:NAME, got {value!r:.60}.")
    if choice in ("auto", "any", "none") or (choice.startswith("tool:") and _TOOL_NAME.match(choice[5:].strip())):
        return choice
    raise ValueError(f"expected auto, any, none or tool:NAME, got {choice!r:.60}.")


def _response_format(value: Any) -> Mapping[str, Any] | None:
    if value is None or value == "" or value == {"type": "text"}:
        return None
    if not isinstance(value, Mapping):
        raise ValueError('expected {"type": "json_object"} or {"type": "json_schema", "json_schema": '
                         '{"name": ..., "schema": {...}}}.')
    deep = json_depth_problem(value)
    if deep:
        raise ValueError(deep)
    kind = value.get("type")
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "json_schema":
        spec = value.get("json_schema")
        if not isinstance(spec, Mapping) or not isinstance(spec.get("schema"), Mapping):
            raise ValueError('json_schema needs a "schema" object: {"type": "json_schema", "json_schema": '
                             '{"name": "answer", "schema": {"type": "object", ...}}}.')
        return json.loads(json.dumps(dict(value)))
    raise ValueError(f"type must be text, json_object or json_schema, got {kind!r:.60}.")


def _api_version(value: Any) -> str:
    value = DEFAULT_API_VERSION if value in (None, "") else value
    if not isinstance(value, str) or len(value) != 10 or value[4] != "-" or value[7] != "-":
        raise ValueError(f"expected a date like {DEFAULT_API_VERSION}, got {value!r:.60}.")
    return value


def _model(value: Any) -> str:
    return _text(value).strip()


_FIELD_CHECKS: dict[str, Any] = {
    "backend": lambda v: _choice(tuple(BACKENDS), "offline")(v),
    "base_url": lambda v: _text(v).strip(),
    "model": _model,
    "system": _text,
    "temperature": _unit,
    "top_p": _unit,
    "top_k": _top_k,
    "max_tokens": _positive_int,
    "stop_sequences": _stops,
    "thinking": _choice(THINKING_MODES, "off"),
    "thinking_budget": _budget,
    "effort": lambda v: _choice(("", *EFFORTS), "")(v or ""),
    "stream": _flag,
    "tools": _tools,
    "tool_choice": _tool_choice,
    "cache": _choice(CACHE_MODES, "off"),
    "cache_ttl": _choice(CACHE_TTLS, "5m"),
    "response_format": _response_format,
    "api_version": _api_version,
    "files_api": _flag,
    "fault": lambda v: _text(v).strip(),
    "endless": _flag,
    "redact_thinking": _flag,
}
FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(RunSettings))
_DEFAULT = RunSettings()


# -- UI text forms --------------------------------------------------------------------------------------
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\"}


def parse_stop_sequences(text: str | None) -> list[str]:
    """One sequence per non-empty line, with ``\\n``/``\\t``/``\\\\`` escapes.

    >>> parse_stop_sequences("END\\n\\\\n\\\\nQ:")
    ['END', '\\n\\nQ:']
    """
    out: list[str] = []
    for line in (text or "").split("\n"):
        line = line.removesuffix("\r")
        if not line:
            continue
        chars: list[str] = []
        i = 0
        while i < len(line):
            ch = line[i]
            if ch == "\\" and i + 1 < len(line) and line[i + 1] in _ESCAPES:
                chars.append(_ESCAPES[line[i + 1]])
                i += 2
                continue
            chars.append(ch)
            i += 1
        out.append("".join(chars))
    return out


def stop_text(stops: Sequence[str]) -> str:
    """Stop sequences in the UI's text form: one per line, ``\\n``/``\\t``/``\\\\`` escaped."""
    return "\n".join(s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t") for s in stops)


def number_text(value: float | int | None) -> str:
    """A number as a UI text box shows it (``None`` -> blank: not sent)."""
    return "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


def _json_text(name: str) -> Any:
    def parse(text: Any) -> Any:
        if not isinstance(text, str):
            return text
        if not text.strip():
            return None
        if jsondepth.text_depth(text) > jsondepth.MAX_JSON_DEPTH:  # before json.loads recurses through it
            raise ValueError(f"nests deeper than {jsondepth.MAX_JSON_DEPTH} levels; flatten it.")
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).") from None
    return parse


def _ui_number(value: Any) -> Any:
    # gr.Number hands floats (42.0) and None for an empty box; the checks take those as they are.
    return value


_UI_PARSERS: dict[str, Any] = {
    "stop_sequences": lambda v: parse_stop_sequences(v) if isinstance(v, str) else v,
    "tools": _json_text("tools"),
    "response_format": _json_text("response_format"),
    "max_tokens": _ui_number,
    "thinking_budget": _ui_number,
}


def tool_choice_object(choice: str) -> dict[str, Any] | None:
    """``auto`` / ``any`` / ``none`` / ``tool:NAME`` -> the API's tool_choice (None for auto: the default)."""
    if choice in ("", "auto"):
        return None
    if choice in ("any", "none"):
        return {"type": choice}
    return {"type": "tool", "name": choice[5:].strip()}


# -- model rules: what a control shows, and what fit() clears ------------------------------------------
@dataclass(frozen=True)
class ControlState:
    """How one control shows for a model: enabled, and if not, why (the same rule :meth:`RunSettings.fit`
    applies to a request)."""

    enabled: bool = True
    reason: str = ""


def control_states(model: str | None, api_version: str = DEFAULT_API_VERSION) -> dict[str, ControlState]:
    """For ``model`` (alias or id) under ``api_version``: the state of temperature, top_p, top_k, effort and
    each thinking mode (``thinking:budget``, ``thinking:adaptive``). Unknown models: everything enabled
    (not checked), but for what the API version removed."""
    info = catalog.get(model)
    states = {name: ControlState() for name in (*SAMPLING, "effort", "thinking:budget", "thinking:adaptive")}
    if removes_sampling(api_version):
        states.update({name: ControlState(False, sampling_removed_reason(name, api_version)) for name in SAMPLING})
    if info is None:
        return states
    if removes_sampling(api_version):
        pass  # already disabled, with the version's reason
    elif info.sampling is catalog.SamplingPolicy.NONE:
        why = f"{info.display_name} does not accept temperature, top_p or top_k."
        states.update({name: ControlState(False, why) for name in SAMPLING})
    elif info.sampling is catalog.SamplingPolicy.DEFAULTS_ONLY:
        why = f"{info.display_name} accepts only the default sampling values."
        states.update({name: ControlState(False, why) for name in SAMPLING})
    if not info.efforts:
        states["effort"] = ControlState(False, f"{info.display_name} has no effort setting.")
    for mode, api in (("budget", "enabled"), ("adaptive", "adaptive")):
        if api not in info.thinking_modes:
            states[f"thinking:{mode}"] = ControlState(False, f"{info.display_name} does not offer {mode} thinking.")
    return states


def _unfit(s: RunSettings) -> tuple[dict[str, Any], dict[str, str]]:
    """The changes that fit ``s`` to its model, and a note per field changed."""
    changes: dict[str, Any] = {}
    notes: dict[str, str] = {}
    row = s.backend_row
    states = control_states(s.model_id, s.api_version if row.messages_api else DEFAULT_API_VERSION)
    for name in SAMPLING:
        if getattr(s, name) is not None and not states[name].enabled:
            changes[name] = None
            notes[name] = f"{name} not sent: {states[name].reason}"
    if s.effort and not states["effort"].enabled:
        changes["effort"] = ""
        notes["effort"] = f"effort not sent: {states['effort'].reason}"
    elif s.effort:
        info = catalog.get(s.model_id)
        if info is not None and s.effort not in info.efforts:
            changes["effort"] = ""
            notes["effort"] = f"effort {s.effort!r} not sent: {info.display_name} takes {', '.join(info.efforts)}."
    if s.thinking != "off" and not states[f"thinking:{s.thinking}"].enabled:
        changes["thinking"] = "off"
        notes["thinking"] = f"thinking turned off: {states[f'thinking:{s.thinking}'].reason}"
    if not row.emulator_switches:
        # Hidden off the offline backend and never sent there: cleared without a note.
        changes.update({name: False if name != "fault" else "" for name in OFFLINE_ONLY if getattr(s, name)})
    return changes, notes
