"""Providers: :class:`Anthropic` (the Messages API) and :class:`OpenaiAPI` (OpenAI-compatible
``/chat/completions``). ``issubclass(Anthropic, OpenaiAPI)``; both yield the same typed parts."""

from .anthropic import Anthropic
from .openai_api import OpenaiAPI

__all__ = ["Anthropic", "OpenaiAPI"]
