"""Gradio's per-session state without its eager copy of the whole page config.

Gradio (6.31) gives each browser session a ``SessionState`` that starts by rendering the config of
every block of the app (437 here): ~690 KB and ~32 ms of event-loop time at the session's first
event, for a copy whose only reader is the ``/gradio_api/deep_link`` route (a ``gr.DeepLinkButton``'s
snapshot; this app has none). Most of it is never changed, and after the page closes it cannot all be
given back (the new heap arenas it filled stay pinned by a few long-lived objects: measured 1.16x the
starting RSS a minute after 50 sessions closed).

:class:`LeanSessionState` starts with no copies: Gradio's own methods add a block's config the first
time the session changes that block (they already handle a missing one), and the deep-link snapshot
renders the untouched blocks on demand, as the eager copy would have held them.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from gradio import state_holder


class LeanSessionState(state_holder.SessionState):
    def __init__(self, blocks: Any) -> None:
        # Gradio's constructor, asked to copy the config of no block (all else as it sets it up)
        super().__init__(SimpleNamespace(default_config=blocks.default_config, blocks={}))
        self._app_blocks = blocks.blocks

    @property
    def components(self) -> Iterator[dict]:
        """Every block's config, as the session has it (what the eager copy would hold)."""
        for key, block in self.blocks_config.blocks.items():
            if key not in self._app_blocks and key not in self.config_values:
                continue
            config = self.config_values.get(key)
            if config is None:
                config = self.blocks_config.config_for_block(key, [], block)
            if config:
                yield config


def install() -> None:
    """Make Gradio create :class:`LeanSessionState` for each new browser session (idempotent)."""
    state_holder.SessionState = LeanSessionState
