"""One place for what we know about each model: capabilities, limits, prices, parameter rules.

Facts come from the wire reference (model table §7, sampling rules §1.6, thinking §1.8),
dated late 2026. Rows for the 5.5 generation are medium-confidence; their parameter policy
follows the closest documented sibling. The emulator serves ``/v1/models`` from this table,
so the playground can show every rule offline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

EMULATOR_MODEL = "playground-tiny"  # the offline backend's own sampler; listed first by it


class SamplingPolicy(StrEnum):
    ALL = "all"  # temperature, top_p and top_k freely
    EITHER_ONE = "either_one"  # temperature and top_p cannot both be given (Claude 4.5+)
    NONE = "none"  # sampling parameters removed (Opus 4.7+, Fable)
    DEFAULTS_ONLY = "defaults_only"  # only the default value is accepted (Sonnet 5)


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    display_name: str
    created_at: str  # RFC 3339 release date
    context_window: int
    max_output: int
    input_price: float  # USD per million tokens
    output_price: float
    sampling: SamplingPolicy = SamplingPolicy.EITHER_ONE
    thinking_modes: tuple[str, ...] = ("enabled",)  # subset of ("enabled", "adaptive")
    always_thinks: bool = False  # refuses thinking {"type": "disabled"}
    efforts: tuple[str, ...] = ()  # output_config.effort values
    image_input: bool = True
    pdf_input: bool = True
    # A final assistant message (prefill) is a 400 from the 4.6 generation on (reference §1.3);
    # the older models (and the offline sampler) opt in.
    accepts_prefill: bool = False
    aliases: tuple[str, ...] = field(default=())
    # Shortest prefix (tokens) that prompt caching will store; shorter ones silently don't cache.
    # The reference (§1.9) says 1024/2048/4096 "depending on model" without saying which, so every
    # real id assumes the lowest, 1024.
    min_cache_tokens: int = 1024

    @property
    def cache_write_price(self) -> float:  # 5-minute TTL
        return self.input_price * 1.25

    @property
    def cache_write_1h_price(self) -> float:  # 1-hour TTL (reference §7.2)
        return self.input_price * 2.0

    @property
    def cache_read_price(self) -> float:
        return self.input_price * 0.1


_EFFORTS = ("low", "medium", "high", "xhigh", "max")
_ADAPTIVE = ("adaptive",)
_BOTH = ("enabled", "adaptive")

# Newest first, as GET /v1/models orders them.
MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("claude-haiku-5-5", "Claude Haiku 5.5", "2026-10-07T00:00:00Z", 1_000_000, 128_000, 0.10, 0.50,
              SamplingPolicy.EITHER_ONE, _BOTH, efforts=_EFFORTS),
    ModelInfo("claude-sonnet-5-5", "Claude Sonnet 5.5", "2026-09-28T00:00:00Z", 1_000_000, 128_000, 2.0, 10.0,
              SamplingPolicy.DEFAULTS_ONLY, _ADAPTIVE, efforts=_EFFORTS),
    ModelInfo("claude-opus-5-5", "Claude Opus 5.5", "2026-09-24T00:00:00Z", 1_000_000, 128_000, 4.0, 20.0,
              SamplingPolicy.NONE, _ADAPTIVE, efforts=_EFFORTS),
    ModelInfo("claude-fable-5-1", "Claude Fable 5.1", "2026-09-01T00:00:00Z", 1_000_000, 128_000, 10.0, 50.0,
              SamplingPolicy.NONE, _ADAPTIVE, always_thinks=True, efforts=_EFFORTS),
    ModelInfo("claude-opus-5", "Claude Opus 5", "2026-07-24T00:00:00Z", 1_000_000, 128_000, 5.0, 25.0,
              SamplingPolicy.NONE, _ADAPTIVE, efforts=_EFFORTS),
    ModelInfo("claude-sonnet-5", "Claude Sonnet 5", "2026-06-30T00:00:00Z", 1_000_000, 128_000, 2.0, 10.0,
              SamplingPolicy.DEFAULTS_ONLY, _ADAPTIVE, efforts=_EFFORTS),
    ModelInfo("claude-fable-5", "Claude Fable 5", "2026-06-09T00:00:00Z", 1_000_000, 128_000, 10.0, 50.0,
              SamplingPolicy.NONE, _ADAPTIVE, always_thinks=True, efforts=_EFFORTS),
    ModelInfo("claude-opus-4-8", "Claude Opus 4.8", "2026-05-01T00:00:00Z", 1_000_000, 128_000, 5.0, 25.0,
              SamplingPolicy.NONE, _ADAPTIVE, efforts=_EFFORTS),
    ModelInfo("claude-opus-4-7", "Claude Opus 4.7", "2026-04-01T00:00:00Z", 1_000_000, 128_000, 5.0, 25.0,
              SamplingPolicy.NONE, _ADAPTIVE, efforts=_EFFORTS),
    ModelInfo("claude-opus-4-6", "Claude Opus 4.6", "2026-02-05T00:00:00Z", 1_000_000, 128_000, 5.0, 25.0,
              SamplingPolicy.EITHER_ONE, _BOTH, efforts=_EFFORTS),
    ModelInfo("claude-sonnet-4-6", "Claude Sonnet 4.6", "2026-02-17T00:00:00Z", 1_000_000, 128_000, 3.0, 15.0,
              SamplingPolicy.EITHER_ONE, _BOTH, efforts=_EFFORTS),
    ModelInfo("claude-opus-4-5", "Claude Opus 4.5", "2025-11-24T00:00:00Z", 200_000, 64_000, 5.0, 25.0,
              accepts_prefill=True, aliases=("claude-opus-4-5-20251101",)),
    ModelInfo("claude-haiku-4-5", "Claude Haiku 4.5", "2025-10-15T00:00:00Z", 200_000, 64_000, 1.0, 5.0,
              accepts_prefill=True, aliases=("claude-haiku-4-5-20251001",)),
    ModelInfo("claude-sonnet-4-5", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z", 200_000, 64_000, 3.0, 15.0,
              accepts_prefill=True, aliases=("claude-sonnet-4-5-20250929",)),
)

# The offline backend's own model: a tiny n-gram sampler that takes every knob.
# Limits sized (by the emulator engineer) so streaming benchmarks can ask for 20,000+ tokens.
EMULATOR_INFO = ModelInfo(
    EMULATOR_MODEL, "Playground Tiny (offline n-gram sampler)", "2026-11-01T00:00:00Z",
    200_000, 64_000, 0.0, 0.0, SamplingPolicy.ALL, _BOTH, efforts=_EFFORTS, accepts_prefill=True,
    min_cache_tokens=128,  # small, so an offline caching demo needs no huge prompt
)

DEFAULT_MODEL = "claude-sonnet-4-6"  # newest model that still lets you tune temperature

# Short alias -> full id. Dated snapshots and family names both resolve here.
ALIASES: dict[str, str] = {
    "opus": "claude-opus-5-5",
    "sonnet": "claude-sonnet-5-5",
    "haiku": "claude-haiku-5-5",
    "fable": "claude-fable-5-1",
    "tiny": EMULATOR_MODEL,
    **{alias: m.id for m in MODELS for alias in m.aliases},
}

_BY_ID: dict[str, ModelInfo] = {m.id: m for m in (*MODELS, EMULATOR_INFO)}


def resolve(model: str | None) -> str:
    """An alias to its full id; an empty model to the default; any other id unchanged."""
    if not model:
        return DEFAULT_MODEL
    return ALIASES.get(model, model)


def get(model: str | None) -> ModelInfo | None:
    """What we know about ``model`` (alias or id), or None for ids we do not know."""
    return _BY_ID.get(resolve(model))


BATCH_PRICE_FACTOR = 0.5  # Message Batches bill every token at half the list price


def cost_usd(model: str | None, input_tokens: int, output_tokens: int,
             cache_creation_tokens: int = 0, cache_read_tokens: int = 0, *,
             cache_write_1h_tokens: int = 0, batch: bool = False) -> float | None:
    """List-price estimate in USD, or None for an unknown model.

    ``cache_creation_tokens`` are priced as 5-minute cache writes (1.25x input), except the
    ``cache_write_1h_tokens`` of them written with a 1-hour TTL (2x input; usage's
    ``cache_creation.ephemeral_1h_input_tokens``). ``batch=True``: the Message Batches price,
    :data:`BATCH_PRICE_FACTOR` of all of it."""
    if not 0 <= cache_write_1h_tokens <= max(cache_creation_tokens, 0):
        raise ValueError(f"cache_write_1h_tokens must be between 0 and cache_creation_tokens "
                         f"({cache_creation_tokens}), got {cache_write_1h_tokens}")
    info = get(model)
    if info is None:
        return None
    return (
        input_tokens * info.input_price
        + output_tokens * info.output_price
        + (cache_creation_tokens - cache_write_1h_tokens) * info.cache_write_price
        + cache_write_1h_tokens * info.cache_write_1h_price
        + cache_read_tokens * info.cache_read_price
    ) / 1_000_000 * (BATCH_PRICE_FACTOR if batch else 1.0)


def usage_cost_usd(model: str | None, usage: Any, *, batch: bool = False) -> float | None:
    """:func:`cost_usd` of a ``playground.responses.Usage`` (cache writes priced by their TTL)."""
    return cost_usd(model, usage.input_tokens, usage.output_tokens, usage.cache_creation_input_tokens,
                    usage.cache_read_input_tokens, cache_write_1h_tokens=usage.cache_write_1h_tokens, batch=batch)
