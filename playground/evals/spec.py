"""The eval spec file (TOML, the pinned format in the README's "Evaluate" section): parse and check it
whole before any request is sent, so a bad spec fails with one message naming what is wrong.

    spec = load_spec("examples/capitals/spec.toml")     # or parse_spec(text, base_dir) for a text box
    spec.variants[0].settings                           # Playground setting names, defaults merged in
    render(spec.variants[0].prompt, spec.cases[0].vars)

Settings use the Playground's names (``playground.settings.FIELDS``); :func:`provider_kwargs`
is the one place that turns them into provider keyword arguments.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..backends import get_backend
from ..settings import RunSettings, SettingsError

RESERVED_COLUMNS = ("_id", "_ideal", "_tags", "_threshold")
# Spec-level settings that describe where requests go, not what they ask: not per variant.
TARGET_KEYS = ("backend", "base_url")
_VAR = re.compile(r"\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}")


class SpecError(ValueError):
    """The spec (or its dataset, prompt file or settings) is wrong; the message names the place."""


@dataclass(frozen=True)
class Case:
    """One test case: its variables (every column, reserved ones included) and parsed reserved fields."""

    id: str
    vars: dict[str, str]
    ideal: str | None = None
    tags: tuple[str, ...] = ()
    threshold: float | None = None


@dataclass(frozen=True)
class Variant:
    """A prompt template and its complete settings (``[defaults]`` with this variant's overrides)."""

    id: str
    prompt: str
    settings: dict[str, Any]


@dataclass(frozen=True)
class AssertSpec:
    """One ``[[asserts]]`` table; ``options`` keeps the type's own fields (``required_keys``, ``path``...)."""

    type: str
    value: Any = None
    weight: float = 1.0
    negate: bool = False
    threshold: float | None = None
    options: dict[str, Any] = field(default_factory=dict)
    index: int = 0  # position in the spec, for messages


@dataclass(frozen=True)
class Gate:
    """What the command line's exit code checks."""

    min_mean: float | None = None
    no_regression: bool = False
    min_pass_rate: float | None = None


@dataclass(frozen=True)
class EvalSpec:
    """A parsed, checked spec."""

    name: str
    variants: tuple[Variant, ...]
    cases: tuple[Case, ...]
    asserts: tuple[AssertSpec, ...]
    repeats: int = 1
    seed: int = 0
    concurrency: int = 4
    max_cost_usd: float | None = None
    baseline: str = ""
    threshold: float | None = None  # an attempt passes when its score reaches it (None: every assertion passes)
    max_error_rate: float = 0.2    # above this share of errored attempts the command line exits 4
    grader_model: str = ""
    gate: Gate | None = None
    target: dict[str, Any] = field(default_factory=dict)  # backend / base_url from [defaults], if given
    base_dir: str = "."
    text: str = ""  # the TOML as given, kept with the run

    def variant(self, variant_id: str) -> Variant:
        """The variant with this id (KeyError if none)."""
        for v in self.variants:
            if v.id == variant_id:
                return v
        raise KeyError(variant_id)


# -- templating ------------------------------------------------------------------------------------
def variables(template: str) -> list[str]:
    """The ``{{names}}`` a template uses, in order of first use."""
    return list(dict.fromkeys(_VAR.findall(template)))


def render(template: str, values: Mapping[str, str], where: str = "template") -> str:
    """Fill ``{{name}}`` from ``values``; a missing name is a SpecError naming it and ``where``."""
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            known = ", ".join(sorted(values)) or "none"
            raise SpecError(f"{where} uses {{{{{name}}}}}, but the case has no such column (columns: {known})")
        return values[name]
    return _VAR.sub(fill, template)


def render_value(value: Any, values: Mapping[str, str], where: str) -> Any:
    """Templated assertion values: strings and lists of strings are filled, anything else kept."""
    if isinstance(value, str):
        return render(value, values, where)
    if isinstance(value, list):
        return [render(v, values, where) if isinstance(v, str) else v for v in value]
    return value


# -- settings --------------------------------------------------------------------------------------
def _setting_keys() -> tuple[str, ...]:
    from ..settings import FIELDS

    return FIELDS


def run_settings(settings: Mapping[str, Any]) -> RunSettings:
    """Playground-named spec settings (TOML values: the settings' own JSON form) -> :class:`RunSettings`.
    THE one conversion; raises SettingsError naming each bad field."""
    return RunSettings.from_json(settings)


def provider_kwargs(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Playground-named settings -> ``create_async_generator`` keyword arguments (besides model and
    messages), fitted to the model (what it does not take is left out, as in every tab)."""
    return run_settings(settings).fit()[0].to_kwargs()


def variant_settings(defaults: Mapping[str, Any], overrides: Mapping[str, Any], variant_id: str) -> dict[str, Any]:
    """``[defaults]`` with one variant's overrides, checked: an unknown name or a value the Playground
    would refuse is a SpecError naming the field and the variant."""
    keys = _setting_keys()
    for name in overrides:
        if name in TARGET_KEYS:
            raise SpecError(f"variant {variant_id!r}: {name} cannot differ per variant; set it in [defaults] "
                            "or on the command line")
        if name not in keys:
            raise SpecError(f"variant {variant_id!r}: unknown setting {name!r} (settings use the Playground's names: "
                            f"{', '.join(k for k in keys if k not in TARGET_KEYS)})")
    merged = {**defaults, **overrides}
    try:
        run_settings(merged)
    except SettingsError as exc:
        raise SpecError(f"variant {variant_id!r}: " + "; ".join(f"{f}: {m}" for f, m in exc.problems)) from None
    return merged


def check_model_rules(spec: EvalSpec, backend: str) -> None:
    """Per-model parameter rules (sampling, thinking...) of the Messages API, checked for every
    variant before the run; an OpenAI-compatible endpoint has its own rules and is not checked here."""
    if not get_backend(backend).messages_api:  # an OpenAI-compatible endpoint has its own rules
        return
    for v in spec.variants:
        settings = run_settings({**v.settings, "backend": backend})
        try:  # a value the spec sets that the model does not take is refused, not quietly dropped
            fitted, _ = settings.fit(keep=[k for k in v.settings if k not in TARGET_KEYS])
        except SettingsError as exc:
            raise SpecError(f"variant {v.id!r}: {exc}") from None
        found = fitted.problems()
        if found:
            raise SpecError(f"variant {v.id!r}: {found[0][0]}: {found[0][1]}")


# -- parsing ---------------------------------------------------------------------------------------
def load_spec(path: str | Path) -> EvalSpec:
    """Read and check the spec at ``path`` (relative paths inside it are relative to its folder)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"spec file not found: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read the spec file {p}: {exc}") from None
    return parse_spec(text, p.parent)


def parse_spec(text: str, base_dir: str | Path = ".") -> EvalSpec:
    """Parse and check spec TOML ``text``; files it names are read relative to ``base_dir``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"the spec is not valid TOML: {exc}") from None
    base = Path(base_dir)
    known_tables = {"eval", "defaults", "variants", "dataset", "cases", "asserts", "gate"}
    for key in data:
        if key not in known_tables:
            raise SpecError(f"unknown top-level entry {key!r} (expected {', '.join(sorted(known_tables))})")
    ev = _table(data, "eval")
    name = _get(ev, "eval.name", str, "")
    if not name.strip():
        raise SpecError("eval.name: give the eval a name, like name = \"capitals\"")
    repeats = _get(ev, "eval.repeats", int, 1)
    concurrency = _get(ev, "eval.concurrency", int, 4)
    if repeats < 1:
        raise SpecError(f"eval.repeats: must be at least 1, got {repeats}")
    if concurrency < 1:
        raise SpecError(f"eval.concurrency: must be at least 1, got {concurrency}")
    max_cost = _get(ev, "eval.max_cost_usd", float, None)
    if max_cost is not None and max_cost < 0:
        raise SpecError(f"eval.max_cost_usd: must be at least 0, got {max_cost}")
    threshold = _unit(ev, "eval.threshold")
    max_error_rate = _unit(ev, "eval.max_error_rate")

    defaults = _table(data, "defaults")
    target = {k: defaults[k] for k in TARGET_KEYS if k in defaults}
    defaults = {k: v for k, v in defaults.items() if k not in TARGET_KEYS}
    for key in defaults:
        if key not in _setting_keys():
            raise SpecError(f"defaults: unknown setting {key!r} (settings use the Playground's names: "
                            f"{', '.join(_setting_keys())})")

    variants = _variants(data, defaults, base)
    cases = _cases(data, base)
    asserts = _asserts(data, base)
    baseline = _get(ev, "eval.baseline", str, variants[0].id)
    if baseline not in {v.id for v in variants}:
        raise SpecError(f"eval.baseline: no variant has id {baseline!r} (variants: {', '.join(v.id for v in variants)})")
    spec = EvalSpec(
        name=name, variants=tuple(variants), cases=tuple(cases), asserts=tuple(asserts), repeats=repeats,
        seed=_get(ev, "eval.seed", int, 0), concurrency=concurrency, max_cost_usd=max_cost, baseline=baseline,
        threshold=threshold, max_error_rate=0.2 if max_error_rate is None else max_error_rate,
        grader_model=_get(ev, "eval.grader_model", str, ""), gate=_gate(data), target=target,
        base_dir=str(base), text=text,
    )
    _check_templates(spec)
    return spec


def _table(data: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise SpecError(f"{name}: expected a table [{name}]")
    return value


def _get(table: Mapping[str, Any], where: str, kind: type, default: Any) -> Any:
    key = where.rsplit(".", 1)[-1]
    if key not in table:
        return default
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise SpecError(f"{where}: expected {_KIND_NAMES.get(kind, kind.__name__)}, got {value!r}")
    if kind is float and not math.isfinite(value):
        raise SpecError(f"{where}: must be a finite number, got {value!r}")
    return value


_KIND_NAMES = {int: "a whole number", float: "a number", str: "a string", bool: "true or false",
               list: "a list", dict: "a table"}


def _unit(table: Mapping[str, Any], where: str) -> float | None:
    value = _get(table, where, float, None)
    if value is not None and not 0 <= value <= 1:
        raise SpecError(f"{where}: must be between 0 and 1, got {value}")
    return value


def _read(base: Path, rel: str, where: str) -> str:
    path = base / rel
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SpecError(f"{where}: file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{where}: cannot read {path}: {exc}") from None


def _variants(data: Mapping[str, Any], defaults: Mapping[str, Any], base: Path) -> list[Variant]:
    raw = data.get("variants")
    if not raw:
        raise SpecError("variants: give at least one [[variants]] table with an id and a prompt")
    if not isinstance(raw, list) or not all(isinstance(v, dict) for v in raw):
        raise SpecError("variants: expected [[variants]] tables")
    out: list[Variant] = []
    for i, table in enumerate(raw):
        vid = table.get("id")
        if not isinstance(vid, str) or not vid.strip():
            raise SpecError(f"variants[{i}].id: give each variant a non-empty string id")
        if vid in {v.id for v in out}:
            raise SpecError(f"variants[{i}].id: {vid!r} is used twice")
        if ("prompt" in table) == ("prompt_file" in table):
            raise SpecError(f"variant {vid!r}: give exactly one of prompt or prompt_file")
        if "prompt" in table:
            prompt = table["prompt"]
            if not isinstance(prompt, str):
                raise SpecError(f"variant {vid!r}: prompt must be a string")
        else:
            if not isinstance(table["prompt_file"], str):
                raise SpecError(f"variant {vid!r}: prompt_file must be a path string")
            prompt = _read(base, table["prompt_file"], f"variant {vid!r}: prompt_file")
        if not prompt.strip():
            raise SpecError(f"variant {vid!r}: the prompt is empty")
        overrides = {k: v for k, v in table.items() if k not in ("id", "prompt", "prompt_file")}
        out.append(Variant(vid, prompt, variant_settings(defaults, overrides, vid)))
    return out


def _cell(value: Any) -> str:
    """A dataset value as template text (JSON for structured values)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _cases(data: Mapping[str, Any], base: Path) -> list[Case]:
    has_dataset, has_inline = "dataset" in data, "cases" in data
    if has_dataset and has_inline:
        raise SpecError("give either [dataset] or inline [[cases]], not both")
    if has_inline:
        rows = data["cases"]
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise SpecError("cases: expected [[cases]] tables")
        where = "cases"
    elif has_dataset:
        ds = _table(data, "dataset")
        rel = ds.get("path")
        if not isinstance(rel, str) or not rel:
            raise SpecError("dataset.path: give the path of a .csv or .jsonl file (relative to the spec)")
        rows = _dataset_rows(base, rel)
        where = f"dataset {rel}"
    else:
        raise SpecError("no test cases: add a [dataset] with a path, or inline [[cases]] tables")
    if not rows:
        raise SpecError(f"{where}: there are no cases")
    cases: list[Case] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        values = {str(k): _cell(v) for k, v in row.items()}
        cid = values.get("_id", "").strip() or str(i + 1)
        if cid in seen:
            raise SpecError(f"{where}: case id {cid!r} appears twice (row {i + 1})")
        seen.add(cid)
        tags_raw = row.get("_tags", "")
        tags = tuple(str(t).strip() for t in (tags_raw if isinstance(tags_raw, list) else str(tags_raw).split(";"))
                     if str(t).strip())
        threshold = None
        if str(values.get("_threshold", "")).strip():
            try:
                threshold = float(values["_threshold"])
            except ValueError:
                threshold = -1.0
            if not 0 <= threshold <= 1:
                raise SpecError(f"{where}: case {cid!r}: _threshold must be a number from 0 to 1, "
                                f"got {values['_threshold']!r}")
        ideal = values.get("_ideal") if "_ideal" in row else None
        cases.append(Case(cid, values, ideal, tags, threshold))
    return cases


def _dataset_rows(base: Path, rel: str) -> list[dict[str, Any]]:
    text = _read(base, rel, "dataset.path")
    where = f"dataset {rel}"
    if rel.lower().endswith(".csv"):
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames:
            raise SpecError(f"{where}: the CSV has no header row")
        if len(set(reader.fieldnames)) != len(reader.fieldnames):
            raise SpecError(f"{where}: the header repeats a column name")
        rows = []
        for line, row in enumerate(reader, start=2):
            if None in row:
                raise SpecError(f"{where}: line {line} has more cells than the header has columns")
            if any(v is None for v in row.values()):
                raise SpecError(f"{where}: line {line} has fewer cells than the header has columns")
            if any(v.strip() for v in row.values()):
                rows.append(row)
        return rows
    if rel.lower().endswith(".jsonl"):
        rows = []
        for line, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise SpecError(f"{where}: line {line} is not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise SpecError(f"{where}: line {line} is not a JSON object")
            rows.append(row)
        return rows
    raise SpecError(f"dataset.path: expected a .csv or .jsonl file, got {rel!r}")


def _asserts(data: Mapping[str, Any], base: Path) -> list[AssertSpec]:
    from .asserts import check_assert_spec  # the assertion library owns its types' fields

    raw = data.get("asserts")
    if not raw:
        raise SpecError("asserts: give at least one [[asserts]] table, like type = \"contains\", value = \"...\"")
    if not isinstance(raw, list) or not all(isinstance(a, dict) for a in raw):
        raise SpecError("asserts: expected [[asserts]] tables")
    out = []
    for i, table in enumerate(raw):
        where = f"asserts[{i}]"
        kind = table.get("type")
        if not isinstance(kind, str):
            raise SpecError(f"{where}.type: give the assertion's type, like type = \"contains\"")
        weight = _get(table, f"{where}.weight", float, 1.0)
        if weight < 0:
            raise SpecError(f"{where}.weight: must be at least 0, got {weight}")
        spec = AssertSpec(
            type=kind, value=table.get("value"), weight=weight, negate=_get(table, f"{where}.not", bool, False),
            threshold=_unit(table, f"{where}.threshold"),
            options={k: v for k, v in table.items() if k not in ("type", "value", "weight", "not", "threshold")},
            index=i,
        )
        out.append(check_assert_spec(spec, base))
    return out


def _gate(data: Mapping[str, Any]) -> Gate | None:
    if "gate" not in data:
        return None
    g = _table(data, "gate")
    for key in g:
        if key not in ("min_mean", "no_regression", "min_pass_rate"):
            raise SpecError(f"gate: unknown field {key!r} (expected min_mean, no_regression, min_pass_rate)")
    return Gate(_unit(g, "gate.min_mean"), _get(g, "gate.no_regression", bool, False),
                _unit(g, "gate.min_pass_rate"))


def _check_templates(spec: EvalSpec) -> None:
    """Every prompt and assertion value renders for every case, so no request waits on a typo."""
    for case in spec.cases:
        for v in spec.variants:
            render(v.prompt, case.vars, f"variant {v.id!r} prompt (case {case.id!r})")
            if isinstance(v.settings.get("system"), str):
                render(v.settings["system"], case.vars, f"variant {v.id!r} system (case {case.id!r})")
        for a in spec.asserts:
            render_value(a.value, case.vars, f"asserts[{a.index}] ({a.type}) value (case {case.id!r})")
            if a.type == "ideal_match" and case.ideal is None:
                raise SpecError(f"asserts[{a.index}] (ideal_match): case {case.id!r} has no _ideal column")
