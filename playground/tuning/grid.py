"""Sweep grids: one or two parameters, each with a list or a range of values, times a number of repeats.

    axes = [parse_axis("temperature", "0:1:0.5"), parse_axis("top_k", "5, 50")]
    cells = expand(axes, repeats=2)          # 3 x 2 values x 2 repeats = 12 cells

Value syntax (one text box per axis):
- a list: ``0.2, 0.5, 0.9``
- a range with a step, both ends included: ``0:1:0.25`` -> 0, 0.25, 0.5, 0.75, 1
- n evenly spaced points: ``0..1 x5``
- ``stop`` takes sets of stop sequences separated by ``|``, each set comma-separated, with ``\\n`` for a
  newline: ``\\n\\n | END, STOP | none`` (``none`` = no stop sequences); or a JSON list of lists.
- ``model`` takes model ids or aliases: ``tiny, claude-haiku-4-5``.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from typing import Any

from .. import catalog

SWEEPABLE: tuple[str, ...] = ("temperature", "top_p", "top_k", "max_tokens", "stop", "model")
MAX_VALUES_PER_AXIS = 50
MAX_REPEATS = 50
MAX_CELLS = 5000


class GridError(ValueError):
    """A sweep definition was refused; the message names the parameter and the fix."""


@dataclass(frozen=True)
class Axis:
    """One swept parameter and its values, in order."""

    param: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Cell:
    """One request of a sweep: its position, the swept values, and which repeat it is (0-based)."""

    index: int
    values: dict[str, Any]
    repeat: int

    @property
    def key(self) -> tuple[Any, ...]:
        """Identifies the grid point (same for every repeat), hashable."""
        return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(self.values.items()))


def _numbers(param: str, text: str) -> list[float]:
    text = text.strip()
    try:
        if ".." in text:  # "a..b xN": N evenly spaced points
            span, _, count = text.partition("x")
            lo, _, hi = span.partition("..")
            n = int(count.strip()) if count.strip() else 5
            if n < 1:
                raise GridError(f"{param}: the point count after 'x' must be at least 1, got {n}.")
            a, b = float(lo), float(hi)
            return [a] if n == 1 else [a + (b - a) * i / (n - 1) for i in range(n)]
        if text.count(":") == 2:  # "start:stop:step", both ends included
            a, b, step = (float(p) for p in text.split(":"))
            if step <= 0:
                raise GridError(f"{param}: the step in '{text}' must be positive.")
            if b < a:
                raise GridError(f"{param}: range '{text}' ends before it starts; write start:stop:step with start <= stop.")
            n = math.floor((b - a) / step + 1e-9) + 1
            if n > MAX_VALUES_PER_AXIS:
                raise GridError(f"{param}: range '{text}' gives {n} values; the limit is {MAX_VALUES_PER_AXIS}. Use a larger step.")
            # round away float noise so 0.1 steps read 0.3, not 0.30000000000000004
            return [round(a + i * step, 10) for i in range(n)]
        return [float(p) for p in text.split(",") if p.strip()]
    except ValueError as exc:
        if isinstance(exc, GridError):
            raise
        raise GridError(f"{param}: cannot read '{text}' as numbers. Write a list (0.2, 0.7), a range "
                        "(0:1:0.25) or evenly spaced points (0..1 x5).") from None


def _stop_sets(text: str) -> list[tuple[str, ...]]:
    text = text.strip()
    if text.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise GridError(f"stop: invalid JSON ({exc.msg}); expected a list of lists of strings.") from None
        if not isinstance(data, list) or not all(
                isinstance(s, list) and all(isinstance(x, str) for x in s) for s in data):
            raise GridError("stop: the JSON form must be a list of lists of strings, e.g. [[\"\\n\"], [\"END\"]].")
        return [tuple(s) for s in data]
    sets = []
    for part in text.split("|"):
        part = part.strip()
        if part.lower() in ("none", "-", ""):
            sets.append(())
            continue
        seqs = tuple(s.strip().replace("\\n", "\n").replace("\\t", "\t") for s in part.split(","))
        if any(not s for s in seqs):
            raise GridError(f"stop: empty stop sequence in '{part}'. Separate sequences with commas, sets with |.")
        sets.append(seqs)
    return sets


def _check(param: str, value: Any) -> Any:
    if param in ("temperature", "top_p"):
        if not 0.0 <= value <= 1.0:
            raise GridError(f"{param}: {value:g} is outside 0..1; the Messages API accepts 0 to 1.")
        return float(value)
    if param in ("top_k", "max_tokens"):
        if value != int(value):
            raise GridError(f"{param}: {value:g} is not a whole number.")
        low = 0 if param == "top_k" else 1
        if value < low:
            raise GridError(f"{param}: {int(value)} is below the minimum {low}.")
        return int(value)
    return value


def parse_axis(param: str, text: str) -> Axis:
    """Read one axis from its text form (see the module docstring); raises :class:`GridError`."""
    param = param.strip()
    if param not in SWEEPABLE:
        raise GridError(f"cannot sweep {param!r}: choose one of {', '.join(SWEEPABLE)}.")
    if not text or not text.strip():
        raise GridError(f"{param}: give at least one value.")
    values: list[Any]
    if param == "model":
        values = [catalog.resolve(m.strip()) for m in text.split(",") if m.strip()]
    elif param == "stop":
        values = _stop_sets(text)
    else:
        values = [_check(param, v) for v in _numbers(param, text)]
    if not values:
        raise GridError(f"{param}: give at least one value.")
    if len(values) > MAX_VALUES_PER_AXIS:
        raise GridError(f"{param}: {len(values)} values; the limit is {MAX_VALUES_PER_AXIS}.")
    # Duplicates would only repeat work the repeat count already expresses.
    unique = list(dict.fromkeys(values))
    return Axis(param, tuple(unique))


def expand(axes: list[Axis], repeats: int = 1) -> list[Cell]:
    """Every combination of the axes' values, each ``repeats`` times (repeats innermost)."""
    if not 1 <= len(axes) <= 2:
        raise GridError(f"a sweep takes one or two parameters, got {len(axes)}.")
    if len({a.param for a in axes}) != len(axes):
        raise GridError(f"sweep the same parameter once: {axes[0].param} appears twice.")
    if not 1 <= int(repeats) <= MAX_REPEATS:
        raise GridError(f"repeats: {repeats} is outside 1..{MAX_REPEATS}.")
    total = math.prod(len(a.values) for a in axes) * int(repeats)
    if total > MAX_CELLS:
        raise GridError(f"the sweep has {total} requests; the limit is {MAX_CELLS}. Use fewer values or repeats.")
    cells = []
    for combo in itertools.product(*(a.values for a in axes)):
        values = {a.param: (list(v) if a.param == "stop" else v) for a, v in zip(axes, combo, strict=True)}
        for r in range(int(repeats)):
            cells.append(Cell(len(cells), dict(values), r))
    return cells


def format_value(param: str, value: Any) -> str:
    """A short label for a swept value (tables, plot axes)."""
    if param == "stop":
        return " | ".join(repr(s)[1:-1] for s in value) if value else "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
