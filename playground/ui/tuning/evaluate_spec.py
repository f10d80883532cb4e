"""The Evaluate tab's spec box and the form actions that rewrite it.

The TOML text is the source of truth: every form action (add a variant, add an assertion, write the
dataset grid in) reads it with ``tomllib``, changes one part and writes the text back, keeping the
rest (comments included) as the user typed it. Values are written by :func:`toml_value`, a small
writer for the shapes a spec holds (strings, numbers, booleans, lists, inline tables).

The tab reads no file on the server: a spec that names one (``[dataset] path``, ``prompt_file``,
``schema_file``) is refused with a message saying how to bring the data in (the import writes it
into the spec as inline ``[[cases]]``).
"""

from __future__ import annotations

import json
import math
import re
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from playground.evals import EvalSpec, SpecError, parse_spec
from playground.evals.asserts import _VALUE_KIND, TYPES
from playground.evals.spec import TARGET_KEYS, _dataset_rows
from playground.settings import RunSettings

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
# A table header line outside a multi-line string: "[name]" or "[[name]]" (a comment may follow).
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
NO_FILES = ("the Evaluate tab reads no files on the server: import the dataset with *Import CSV / JSONL* "
            "(it is written into the spec as [[cases]]), or run this spec with `python -m playground.evals run`")

EXAMPLE_SPEC = '''[eval]
name = "capitals"
repeats = 2
seed = 7
max_cost_usd = 1.00

[defaults]
model = "claude-haiku-4-5"
max_tokens = 64
system = "Answer briefly."

[[variants]]
id = "v1"
prompt = "What is the capital of {{country}}?"

[[variants]]
id = "v2"
prompt = "Country: {{country}}\\nReply with the capital city only."
temperature = 0.2

[[cases]]
_id = "fr"
country = "France"
_ideal = "Paris"

[[cases]]
_id = "jp"
country = "Japan"
_ideal = "Tokyo"

[[cases]]
_id = "ke"
country = "Kenya"
_ideal = "Nairobi"

[[asserts]]
type = "icontains"
value = "{{_ideal}}"
weight = 2

[[asserts]]
type = "max_words"
value = 12
'''


# -- writing TOML -----------------------------------------------------------------------------------
def toml_key(key: str) -> str:
    """A key as TOML writes it: bare when it can be, else a quoted string."""
    return key if _BARE_KEY.match(key) else toml_value(key)


def toml_value(value: Any) -> str:
    """One TOML value (strings as basic strings with escapes, so any text round-trips)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        # JSON's string escapes are TOML's; DEL must be escaped in TOML but not in JSON.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, Sequence):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        items = [f"{toml_key(str(k))} = {toml_value(v)}" for k, v in value.items() if v is not None]
        return "{" + ", ".join(items) + "}"
    if value is None:
        raise SpecError("TOML has no null value")
    raise SpecError(f"cannot write {type(value).__name__} as TOML")


def toml_table(header: str, table: Mapping[str, Any], notes: Sequence[str] = ()) -> str:
    """``[[header]]`` and its ``key = value`` lines (None values left out; ``notes`` as comments)."""
    lines = [f"[[{header}]]", *(f"# {n}" for n in notes)]
    lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items() if v is not None]
    return "\n".join(lines) + "\n"


def read_toml(text: str) -> dict[str, Any]:
    """The spec text as data; SpecError (in words) when it is not valid TOML."""
    try:
        return tomllib.loads(text or "")
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"the spec is not valid TOML: {exc}") from None


def append_table(text: str, header: str, table: Mapping[str, Any], notes: Sequence[str] = ()) -> str:
    """``text`` with one more ``[[header]]`` table at its end (the text must already be valid TOML)."""
    read_toml(text)
    body = (text or "").rstrip("\n")
    out = (body + "\n\n" if body else "") + toml_table(header, table, notes)
    read_toml(out)
    return out


# -- form actions ------------------------------------------------------------------------------------
def _unique_id(wanted: str, taken: set[str], stem: str) -> str:
    if wanted:
        if wanted in taken:
            raise SpecError(f"variants: the id {wanted!r} is already used (ids: {', '.join(sorted(taken))})")
        return wanted
    n = len(taken) + 1
    while f"{stem}{n}" in taken:
        n += 1
    return f"{stem}{n}"


def add_variant(text: str, settings: RunSettings, variant_id: str = "", prompt: str = "", stem: str = "v") -> str:
    """``text`` with a ``[[variants]]`` table holding ``settings`` exactly: every field it changes from
    the defaults, and every field ``[defaults]`` sets (so the variant does not inherit a different value).
    A blank ``prompt`` reuses the baseline's (first variant's) prompt."""
    data = read_toml(text)
    variants = [v for v in data.get("variants", []) if isinstance(v, dict)]
    vid = _unique_id((variant_id or "").strip(), {str(v.get("id")) for v in variants}, stem)
    if not (prompt or "").strip():
        base = next((v for v in variants if v.get("id") == data.get("eval", {}).get("baseline")),
                    variants[0] if variants else None)
        if base is None or not isinstance(base.get("prompt"), str):
            raise SpecError("variant prompt: type the prompt template (with {{variables}}) for the new variant")
        prompt = base["prompt"]
    defaults = data.get("defaults", {}) if isinstance(data.get("defaults"), dict) else {}
    values = settings.to_json()
    names = [k for k in values if k not in TARGET_KEYS and (k in settings.changed() or k in defaults)]
    table: dict[str, Any] = {"id": vid, "prompt": prompt}
    notes = []
    for name in names:
        if values[name] is None:  # "not sent" has no TOML spelling: say so rather than inherit silently
            notes.append(f"{name}: not sent in the source settings, but [defaults] sets it (remove it there)")
        else:
            table[name] = values[name]
    return append_table(text, "variants", table, notes)


def assert_value(kind: str, raw: str) -> Any:
    """The form's value box -> the assertion's value: text for text checks, a number for limits,
    a list (JSON, or comma-separated) for ``contains_any``/``contains_all``, JSON for the rest."""
    if kind not in TYPES:
        raise SpecError(f"assertion type: unknown {kind!r} (known: {', '.join(TYPES)})")
    wanted, raw = _VALUE_KIND[kind], (raw or "").strip()
    if wanted is None or (not raw and wanted == "optional-str"):
        return None
    if not raw:
        raise SpecError(f"assertion value: {kind} needs a value")
    if wanted in ("str", "optional-str"):
        return raw
    if wanted in ("strs", "str-or-strs") and not raw.startswith("["):
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        return parts if wanted == "strs" or len(parts) > 1 else parts[0]
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        if wanted == "any":
            return raw
        raise SpecError(f"assertion value: {raw!r} is not {'a number' if wanted in ('int', 'number') else 'JSON'}") \
            from None


def add_assert(text: str, kind: str, raw_value: str = "", weight: Any = 1, extra: Mapping[str, Any] | None = None
               ) -> str:
    """``text`` with one more ``[[asserts]]`` table."""
    table: dict[str, Any] = {"type": kind, "value": assert_value(kind, raw_value)}
    try:
        w = float(weight if weight not in (None, "") else 1)
    except (TypeError, ValueError):
        raise SpecError(f"assertion weight: {weight!r} is not a number") from None
    if not math.isfinite(w) or w < 0:
        raise SpecError(f"assertion weight: must be a number of at least 0, got {weight!r}")
    if w != 1:
        table["weight"] = int(w) if w.is_integer() else w
    table.update(extra or {})
    return append_table(text, "asserts", table)


def _sections(text: str) -> list[tuple[str, list[str]]]:
    """The text cut at table headers: ``(header name, lines)``, the first with name "" (the preamble).
    A header-looking line inside a multi-line string is not a header."""
    out: list[tuple[str, list[str]]] = [("", [])]
    in_string: str | None = None
    for line in text.splitlines(keepends=True):
        match = _HEADER.match(line) if in_string is None else None
        if match:
            out.append((match.group(2).strip(), [line]))
        else:
            out[-1][1].append(line)
        for quote in ('"""', "'''"):
            if in_string in (None, quote) and line.count(quote) % 2:
                in_string = quote if in_string is None else None
    return out


def set_cases(text: str, rows: Sequence[Mapping[str, Any]]) -> str:
    """``text`` with its cases replaced by ``rows`` as inline ``[[cases]]`` tables (a ``[dataset]``
    table is removed). Other tables keep their text; should cutting fail, the spec is rewritten whole."""
    data = read_toml(text)
    if not rows:
        raise SpecError("dataset: there are no rows to write (add a row, or import a CSV / JSONL file)")
    kept = [(name, lines) for name, lines in _sections(text or "")
            if name.split(".")[0].strip('"') not in ("dataset", "cases")]
    body = "".join("".join(lines) for _, lines in kept).rstrip("\n")
    tables = "\n".join(toml_table("cases", {k: v for k, v in row.items() if v is not None}) for row in rows)
    out = (body + "\n\n" if body else "") + tables
    expected = {k: v for k, v in data.items() if k not in ("dataset", "cases")}
    expected["cases"] = [{k: v for k, v in row.items() if v is not None} for row in rows]
    try:
        ok = read_toml(out) == expected
    except SpecError:
        ok = False
    if not ok:  # an unusual layout the cutter misread: write the whole spec from its data instead
        out = dump_spec(expected)
    return out


def dump_spec(data: Mapping[str, Any]) -> str:
    """A whole spec from its data (plain tables first, then arrays of tables)."""
    parts = []
    for name, value in data.items():
        if isinstance(value, dict):
            lines = [f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()]
            parts.append(f"[{toml_key(name)}]\n" + "\n".join(lines) + "\n")
    for name, value in data.items():
        if isinstance(value, list):
            parts += [toml_table(toml_key(name), t) for t in value if isinstance(t, dict)]
    return "\n".join(parts)


# -- the dataset grid ----------------------------------------------------------------------------------
def cases_frame(text: str) -> pd.DataFrame:
    """The spec's inline cases as the grid shows them (one column per variable, text cells)."""
    data = read_toml(text)
    rows = [r for r in data.get("cases", []) if isinstance(r, dict)]
    columns = list(dict.fromkeys(k for r in rows for k in r)) or ["_id", "input", "_ideal"]
    return pd.DataFrame([[_cell_text(r.get(c)) for c in columns] for r in rows], columns=columns)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def frame_rows(frame: Any) -> list[dict[str, str]]:
    """The grid -> case rows: blank rows and unnamed columns left out, blank cells dropped from a row
    (the spec then reports a variable a template needs and a case lacks)."""
    if frame is None:
        return []
    if not isinstance(frame, pd.DataFrame):
        frame = pd.DataFrame(frame.get("data", []), columns=frame.get("headers")) if isinstance(frame, dict) \
            else pd.DataFrame(frame)
    columns = [str(c).strip() for c in frame.columns]
    rows = []
    for values in frame.itertuples(index=False):
        row = {c: ("" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))
               for c, v in zip(columns, values, strict=True) if c}
        if any(v.strip() for v in row.values()):
            rows.append({k: v for k, v in row.items() if v != ""})
    return rows


def add_row(frame: Any) -> pd.DataFrame:
    """The grid with one empty row at the end."""
    current = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame_rows(frame))
    if current.columns.empty:
        current = pd.DataFrame(columns=["_id", "input", "_ideal"])
    blank = pd.DataFrame([[""] * len(current.columns)], columns=current.columns)
    return pd.concat([current, blank], ignore_index=True)


def read_dataset(path: str | Path) -> list[dict[str, Any]]:
    """Rows of an uploaded ``.csv`` / ``.jsonl`` file, read by the spec's own dataset reader."""
    p = Path(path)
    return _dataset_rows(p.parent, p.name)


# -- parsing for the tab ----------------------------------------------------------------------------------
def ui_spec(text: str) -> EvalSpec:
    """Parse the spec box for a run: SpecError (naming the field) when it is wrong or names a file."""
    data = read_toml(text)
    if "dataset" in data:
        raise SpecError(f"dataset.path: {NO_FILES}")
    for i, v in enumerate(data.get("variants", []) if isinstance(data.get("variants"), list) else []):
        if isinstance(v, dict) and "prompt_file" in v:
            raise SpecError(f"variants[{i}].prompt_file: the Evaluate tab reads no files on the server; "
                            "write the prompt into the spec as prompt = \"...\"")
    for i, a in enumerate(data.get("asserts", []) if isinstance(data.get("asserts"), list) else []):
        if isinstance(a, dict) and "schema_file" in a:
            raise SpecError(f"asserts[{i}].schema_file: the Evaluate tab reads no files on the server; "
                            "give the schema inline as value = {...}")
    return parse_spec(text, tempfile.gettempdir())
