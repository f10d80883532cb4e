"""The offline backend: a local server that speaks the Messages API, with a tiny real sampler.

    python -m playground.emulator --port 8765            # CLI

    from playground.emulator import Emulator              # in a running event loop
    async with Emulator(seed=1) as emu:
        ...  # emu.base_url for the official SDKs, emu.api_base for this project's providers

    from playground.emulator import start_in_thread       # from sync code
    handle = start_in_thread(); ...; handle.stop()

Modules: ``server`` (routes, auth, headers), ``request`` / ``conversation`` (validation and
token counting), ``compose`` (plans a reply), ``sampler`` / ``tokenizer`` (the model),
``sse`` (event framing and writing), ``caching`` (prompt caching), ``faults``, ``ratelimit``, ``media_checks``,
``models`` (listing), ``openai_compat`` (``/v1/chat/completions``), ``runner`` (start/stop).
"""

from __future__ import annotations

from .runner import Emulator, ThreadedEmulator, start_in_thread

__all__ = ["Emulator", "ThreadedEmulator", "start_in_thread"]
