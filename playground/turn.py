"""The provider library's accumulator: parts in, the history-ready assistant turn out.

    acc = TurnAccumulator()
    async for part in Anthropic.create_async_generator(...):
        acc.add(part)
    history.append(acc.to_message())  # thinking blocks keep their signatures

It is the run record (:class:`playground.run.RunRecord`) under the name the library documents: one
fold of a run's parts, whatever reads it.
"""

from __future__ import annotations

from .run import RunRecord

TurnAccumulator = RunRecord

__all__ = ["TurnAccumulator"]
