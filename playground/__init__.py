"""An async provider library for the Anthropic Messages API (and OpenAI-compatible endpoints).

    from playground.providers import Anthropic
    async for part in Anthropic.create_async_generator("claude-sonnet-4-6", messages, stream=True):
        ...

Importing this package is cheap: no gradio, and the providers load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Anthropic", "OpenaiAPI", "__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from .providers import Anthropic, OpenaiAPI


def __getattr__(name: str) -> Any:
    # Lazy so that `import playground` stays fast and light (aiohttp loads on first use).
    if name in ("Anthropic", "OpenaiAPI"):
        from . import providers

        return getattr(providers, name)
    raise AttributeError(f"module 'playground' has no attribute {name!r}")
