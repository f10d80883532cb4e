"""Running per-group statistics over finished runs: the work of a refresh follows what changed.

    agg = Aggregate(key_of=lambda r: r.meta["case"], labels=lambda key: {"case": key})
    for job in jobs:
        agg.expect(job.meta["case"])       # optional: fixes the row order and when a group is complete
    agg.add(result)                        # each finished run, once: O(1) but for the similarity below
    agg.rows()                             # one summary row per group that has runs (cached per group)
    agg.finish()                           # at the end: score groups that never completed (cancelled)

Adding a run updates sums, counts and the set of distinct outputs. The expensive score, the mean
pairwise similarity (difflib over pairs of outputs), is computed once per group, when its last
expected run arrives (or at :meth:`Aggregate.finish`), over at most ``variation.MAX_PAIRS`` pairs.
A group's row is rebuilt only when that group changed. Used by the Sweep tab (groups = grid points);
any other tab that groups runs (an evaluation's per-case summary) can key it its own way.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from . import variation
from .runner import JobResult

# The summary's metrics, in column order: run attribute -> how it is combined.
_MEANS = ("output_tokens", "latency_s", "ttft_s")


def _ok(result: JobResult) -> bool:
    return result.done and not result.error and not result.cancelled


@dataclass
class _Mean:
    total: float = 0.0
    count: int = 0

    def add(self, value: float | None) -> None:
        if value is not None:
            self.total += value
            self.count += 1

    def value(self) -> float | None:
        return round(self.total / self.count, 4) if self.count else None


@dataclass
class GroupStats:
    """One group's running totals. ``expected``: how many runs it will get (0: not known)."""

    key: Hashable
    expected: int = 0
    runs: int = 0
    ok: int = 0
    outputs: list[str] = field(default_factory=list)
    distinct: set[str] = field(default_factory=set)
    means: dict[str, _Mean] = field(default_factory=lambda: {m: _Mean() for m in _MEANS})
    cost: _Mean = field(default_factory=_Mean)
    similarity: variation.Similarity | None = None  # None until scored

    def add(self, result: JobResult) -> None:
        self.runs += 1
        if not _ok(result):
            return
        self.ok += 1
        self.outputs.append(result.text)
        self.distinct.add(variation.normalize(result.text))
        self.means["output_tokens"].add(result.output_tokens if result.usage else None)
        self.means["latency_s"].add(result.duration_s)
        self.means["ttft_s"].add(result.ttft_s)
        self.cost.add(result.cost_usd)

    @property
    def complete(self) -> bool:
        """Every expected run has arrived."""
        return bool(self.expected) and self.runs >= self.expected

    def score(self) -> None:
        """Compute the similarity (once; later calls do nothing)."""
        if self.similarity is None:
            self.similarity = variation.sampled_similarity(self.outputs)

    def row(self) -> dict[str, Any]:
        """The summary columns (without the group's labels). Similarity is None until scored."""
        sim = self.similarity
        return {
            "runs": self.runs,
            "errors": self.runs - self.ok,
            **{m: self.means[m].value() for m in _MEANS},
            "cost_usd": round(self.cost.total, 6) if self.cost.count else (0.0 if self.ok else None),
            "distinct_outputs": len(self.distinct) if self.ok else None,
            "similarity": round(sim.mean, 4) if sim is not None and sim.mean is not None else None,
            "similarity_over": sim.describe() if sim is not None else ("pending" if self.ok > 1 else ""),
        }


class Aggregate:
    """Per-group statistics, updated one finished run at a time (see the module docstring).

    ``key_of`` names a run's group; ``labels`` turns a group key into its leading columns.
    """

    def __init__(self, key_of: Callable[[JobResult], Hashable],
                 labels: Callable[[Hashable], dict[str, Any]] = lambda key: {"group": key}) -> None:
        self.key_of = key_of
        self.labels = labels
        self.groups: dict[Hashable, GroupStats] = {}
        self._rows: dict[Hashable, dict[str, Any]] = {}  # cached rows of unchanged groups
        self._seen: set[Any] = set()

    def expect(self, key: Hashable, runs: int = 1) -> None:
        """Announce ``runs`` more runs for group ``key`` (groups are listed in the order first announced)."""
        self._group(key).expected += runs

    def add(self, result: JobResult) -> Hashable:
        """Count one finished run (a second call for the same ``result.key`` is ignored); returns its group."""
        key = self.key_of(result)
        if result.key in self._seen:
            return key
        self._seen.add(result.key)
        group = self._group(key)
        group.add(result)
        if group.complete:
            group.score()
        self._rows.pop(key, None)
        return key

    def finish(self) -> None:
        """Score every group not scored yet (those whose runs did not all arrive)."""
        for key, group in self.groups.items():
            if group.runs and group.similarity is None:
                group.score()
                self._rows.pop(key, None)

    @property
    def runs(self) -> int:
        """How many runs were added."""
        return len(self._seen)

    def rows(self) -> list[dict[str, Any]]:
        """One row per group with at least one run, in group order."""
        out = []
        for key, group in self.groups.items():
            if not group.runs:
                continue
            row = self._rows.get(key)
            if row is None:
                row = self._rows[key] = {**self.labels(key), **group.row()}
            out.append(row)
        return out

    def _group(self, key: Hashable) -> GroupStats:
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = GroupStats(key)
        return group
