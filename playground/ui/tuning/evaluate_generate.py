"""Evaluate's "Generate rows": the model writes new test cases for the spec's ``{{variables}}``.

The request asks for JSON that follows a schema built from the variables (structured output:
``output_config.format`` on the Messages API, ``response_format`` on an OpenAI-compatible endpoint),
so the reply parses into rows without guessing. The rows go into the dataset grid for review; the
user writes them into the spec.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from playground.run import RunRecord
from playground.settings import RunSettings

from . import evaluate_spec as form

_VAR = re.compile(r"\{\{\s*([A-Za-z_][\w]*)\s*\}\}")
MAX_ROWS = 20


def row_columns(text: str) -> list[str]:
    """The variables the spec's prompts, system prompts and assertion values use, in order of first use
    (``_ideal`` included when an assertion compares with it). Reads the TOML only: cases may be missing."""
    data = form.read_toml(text)
    found: list[str] = []
    for variant in data.get("variants", []) if isinstance(data.get("variants"), list) else []:
        if isinstance(variant, Mapping):
            found += _VAR.findall(str(variant.get("prompt", ""))) + _VAR.findall(str(variant.get("system", "")))
    defaults = data.get("defaults") if isinstance(data.get("defaults"), Mapping) else {}
    found += _VAR.findall(str(defaults.get("system", "")))
    for check in data.get("asserts", []) if isinstance(data.get("asserts"), list) else []:
        found += _VAR.findall(json.dumps(check.get("value", ""))) if isinstance(check, Mapping) else []
        if isinstance(check, Mapping) and check.get("type") == "ideal_match":
            found.append("_ideal")
    return list(dict.fromkeys(found))


def rows_format(columns: Sequence[str]) -> dict[str, Any]:
    """The response format asking for ``{"rows": [{column: text, ...}, ...]}``."""
    item = {"type": "object", "properties": {c: {"type": "string"} for c in columns},
            "required": list(columns), "additionalProperties": False}
    schema = {"type": "object", "properties": {"rows": {"type": "array", "items": item}}, "required": ["rows"],
              "additionalProperties": False}
    return {"type": "json_schema", "json_schema": {"name": "test_cases", "schema": schema}}


def generation_prompt(text: str, columns: Sequence[str], examples: Sequence[Mapping[str, str]], n: int) -> str:
    """What the model is asked: the templates, the variables, a few existing rows, how many to write."""
    data = form.read_toml(text)
    prompts = [str(v.get("prompt", "")) for v in data.get("variants", []) if isinstance(v, Mapping)]
    lines = [f"Write {n} new, varied test cases for an evaluation of these prompt templates:"]
    lines += [f"- {p}" for p in prompts if p]
    lines.append(f"Each case gives a value for every variable: {', '.join(columns)}.")
    if "_ideal" in columns:
        lines.append("_ideal is the reference answer a good reply should match.")
    if examples:
        lines.append("Existing cases (do not repeat them): " + json.dumps(list(examples)[:5], ensure_ascii=False))
    lines.append('Answer with JSON only: {"rows": [{...}, ...]}.')
    return "\n".join(lines)


async def generate_rows(settings: RunSettings, target: Any, text: str, grid: Any, n: int
                        ) -> tuple[pd.DataFrame, str, RunRecord]:
    """Ask the model (the Playground's settings, as a JSON-schema reply) for ``n`` rows; the grid with
    them appended, a note for the user, and the run record (for its cost). Raises ValueError with a
    readable reason when the spec has no variables or the reply is not the JSON asked for."""
    columns = row_columns(text)
    if not columns:
        raise ValueError("the spec's prompts use no {{variables}}: there is nothing to generate rows for.")
    n = max(1, min(int(n or 1), MAX_ROWS))
    existing = form.frame_rows(grid)
    ask = settings.replace(response_format=rows_format(columns), stream=False,
                           max_tokens=max(settings.max_tokens, 256 * n))
    fitted, _ = ask.fit()
    kwargs = {**fitted.to_kwargs(), **target.provider_kwargs()}
    messages = [{"role": "user", "content": generation_prompt(text, columns, existing, n)}]
    record = RunRecord()
    parts = target.provider.create_async_generator(fitted.model_id, messages, **kwargs)
    try:
        async for part in parts:
            record.add(part)
    finally:
        await parts.aclose()
    record.mark_done()
    try:
        rows = json.loads(record.text)["rows"]
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"the model's reply was not the JSON asked for ({record.text[:80]!r}…); try again "
                         "or pick a model that supports structured output.") from None
    new = [{c: str(r.get(c, "")) for c in columns} for r in rows if isinstance(r, Mapping)][:n]
    frame = pd.DataFrame([*existing, *new]).fillna("")
    note = (f"Generated {len(new)} row(s) with {fitted.model_id} (asked for {n}). Review them in the grid, "
            "then *Write the rows into the spec*.")
    return frame, note, record
