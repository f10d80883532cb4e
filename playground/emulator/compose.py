"""Plan a whole reply (blocks, stop reason, usage) from a validated request. Pure: no I/O.

The reply is computed before anything is sent, so streaming and non-streaming answers to the
same seeded request are identical, and a stop sequence is cut before its text ever leaves.

Rules (documented in the README):

* **thinking** (``enabled`` or ``adaptive``) comes first: sampled sentences (2 for ``enabled``;
  1-5 by ``output_config.effort`` for ``adaptive``), capped by ``budget_tokens``, then a
  ``signature`` (HMAC of the text, see :mod:`playground.emulator.thinking`). With
  ``redact_thinking`` the same thought becomes one ``redacted_thinking`` block instead, whose
  opaque ``data`` hides the text; its tokens still count as output;
* **tools**: with ``tool_choice`` ``auto`` (the default) the model calls every tool whose name
  appears (case-insensitive) in the last user turn's own text, or whose name's subject words all do
  (``get_weather`` for "What is the weather in SF?"; not a ``defer_loading`` tool), in order of first mention
  (parallel tool use); ``any`` does the same, or calls the first tool when none is named;
  ``tool`` calls the named one only; ``none`` never calls. ``disable_parallel_tool_use: true``
  keeps only the first call. A turn with calls is a short text block, then one ``tool_use``
  block per call (own ``toolu_`` id, input built from the tool's ``input_schema``);
  ``stop_reason`` is ``tool_use``;
* **text** acknowledges media and tool results of the last user turn, then continues the
  prompt with the sampler; ``stop_sequences`` cut before the first match;
* **structured output** (``output_config.format``): the text block is instead one JSON value
  sampled for the schema by :mod:`.structured` (cut by ``max_tokens`` like any text: truncated
  JSON, ``stop_reason: max_tokens``, as the API does); a ``strict: true`` tool's input is sampled
  for its ``input_schema`` the same way;
* ``max_tokens`` counts thinking + text + tool input tokens; ``output_tokens`` is that total.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

from . import structured
from . import thinking as signatures
from .request import MessagesRequest
from .sampler import STOPWORDS, NGramModel, SamplingParams
from .tokenizer import count, tokenize

_EFFORT_SENTENCES = {"low": 1, "medium": 2, "high": 3, "xhigh": 4, "max": 5}
_ID_ALPHABET = string.ascii_letters + string.digits
DIRECT_CALLER = {"type": "direct"}  # who called a tool: the model itself (as in the recorded stream)
JSON_PIECE = 8  # characters per input_json_delta, so clients see keys split mid-way like the real API


def new_id(prefix: str) -> str:
    """A random id like the API's: ``msg_…``, ``toolu_…``, ``req_…``."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(24))


@dataclass
class Block:
    """One content block and the deltas that build it."""

    type: str  # "thinking" | "redacted_thinking" | "text" | "tool_use"
    pieces: list[str] = field(default_factory=list)  # thinking / text / partial_json deltas
    signature: str = ""
    data: str = ""  # redacted_thinking only: sent whole in content_block_start, no deltas
    tool_id: str = ""
    tool_name: str = ""
    tool_input: dict | None = None

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    def to_json(self) -> dict:
        """The block as it appears in a non-streaming ``Message.content``."""
        if self.type == "thinking":
            return {"type": "thinking", "thinking": self.text, "signature": self.signature}
        if self.type == "redacted_thinking":
            return {"type": "redacted_thinking", "data": self.data}
        if self.type == "tool_use":
            try:
                args = json.loads(self.text) if self.text else {}
            except ValueError:
                args = {}  # cut by max_tokens: the real API returns what parsed, here nothing
            return {"type": "tool_use", "id": self.tool_id, "name": self.tool_name, "caller": DIRECT_CALLER,
                    "input": args}
        return {"type": "text", "text": self.text}


@dataclass
class Reply:
    blocks: list[Block]
    stop_reason: str
    stop_sequence: str | None
    output_tokens: int
    thinking_tokens: int = 0


class _Budget:
    """Counts output tokens against ``max_tokens``."""

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.used = 0

    def take(self, tokens: list[str]) -> tuple[list[str], bool]:
        """As many of ``tokens`` as fit; True when some were cut."""
        n = min(len(tokens), self.left)
        self.left -= n
        self.used += n
        return tokens[:n], n < len(tokens)


def compose(req: MessagesRequest, model: NGramModel, rng: random.Random, *, endless: bool = False,
            redact_thinking: bool = False) -> Reply:
    """The full reply to ``req``. ``endless`` suppresses the natural end (benchmarks);
    ``redact_thinking`` turns the thinking block into a ``redacted_thinking`` one."""
    conv = req.conversation
    budget = _Budget(req.max_tokens)
    blocks: list[Block] = []
    thinking_tokens = 0

    if req.thinking:
        sentences = 2 if req.thinking == "enabled" else _EFFORT_SENTENCES.get(req.effort or "high", 3)
        cap = min(req.budget_tokens or req.max_tokens, req.max_tokens)
        thought = list(islice(model.tokens(conv.prompt, SamplingParams(), random.Random(rng.random()),
                                           sentences=sentences), cap))
        thought, cut = budget.take(thought)
        thinking_tokens = len(thought)
        if redact_thinking:
            # The whole thought is sealed, whatever ``display`` asks: nothing of it is shown.
            blocks.append(Block("redacted_thinking", data=signatures.redact("".join(thought))))
        else:
            shown = thought if req.thinking_display == "summarized" else []
            blocks.append(Block("thinking", shown, signature=signatures.sign("".join(shown))))
        if cut or budget.left == 0:
            return Reply(blocks, "max_tokens", None, budget.used, thinking_tokens)

    tools = pick_tools(req)
    if tools:
        preface, cut = budget.take(tokenize(_preface(tools)))
        if preface:
            blocks.append(Block("text", preface))
        if cut:
            return Reply(blocks, "max_tokens", None, budget.used, thinking_tokens)
        for tool in tools:
            if tool.get("strict"):
                args = structured.generate(tool["input_schema"], _values(req, model, rng))
            else:
                args = tool_input(tool, conv.prompt)
            json_tokens, cut = budget.take(tokenize(json.dumps(args, ensure_ascii=False)))
            raw = "".join(json_tokens)
            pieces = [""] + [raw[i:i + JSON_PIECE] for i in range(0, len(raw), JSON_PIECE)]
            blocks.append(Block("tool_use", pieces, tool_id=new_id("toolu_"), tool_name=tool["name"],
                                tool_input=args))
            # A call cut short ends the turn: later calls would not fit either, and the real
            # API stops at the block where max_tokens ran out.
            if cut:
                return Reply(blocks, "max_tokens", None, budget.used, thinking_tokens)
        return Reply(blocks, "tool_use", None, budget.used, thinking_tokens)

    if req.output_schema is not None:
        value = structured.generate(req.output_schema, _values(req, model, rng))
        json_tokens, cut = budget.take(tokenize(json.dumps(value, ensure_ascii=False)))
        blocks.append(Block("text", json_tokens))
        return Reply(blocks, "max_tokens" if cut else "end_turn", None, budget.used, thinking_tokens)

    text_block = Block("text")
    stop_reason, stop_sequence = _write_text(req, model, rng, budget, text_block, endless=endless)
    if text_block.pieces:
        blocks.append(text_block)
    return Reply(blocks, stop_reason, stop_sequence, budget.used, thinking_tokens)


def _values(req: MessagesRequest, model: NGramModel, rng: random.Random) -> structured.ValueSampler:
    """A value sampler on its own RNG stream drawn from ``rng``, so one reply stays reproducible."""
    return structured.ValueSampler(model, req.conversation.prompt, req.params, random.Random(rng.random()))


def _acknowledgement(req: MessagesRequest) -> str:
    """Sentences saying what the last user turn carried besides text."""
    conv = req.conversation
    parts = []
    if conv.media:
        parts.append("I received " + ", ".join(m.describe() for m in conv.media) + ".")
    for result in conv.tool_results:
        name = result.name or "the tool"
        status = "reported an error" if result.is_error else "returned"
        snippet = " ".join(result.text.split()[:20])
        parts.append(f"The {name} tool {status}: {snippet}." if snippet else f"The {name} tool {status} nothing.")
    return " ".join(parts)


def _write_text(req: MessagesRequest, model: NGramModel, rng: random.Random, budget: _Budget,
                block: Block, *, endless: bool) -> tuple[str, str | None]:
    """Fill ``block`` with text tokens; return ``(stop_reason, stop_sequence)``."""
    conv = req.conversation
    tokens = _text_tokens(_acknowledgement(req), model, conv.prefill or conv.prompt, req.params, rng,
                          endless=endless, continuation=bool(conv.prefill))
    if req.stop_sequences:
        return _write_until_stop(tokens, req.stop_sequences, budget, block)
    # The fast path: take what fits; one token more tells whether the reply ended by itself.
    taken = list(islice(tokens, budget.left + 1))
    cut = len(taken) > budget.left
    block.pieces.extend(taken[: budget.left])
    budget.used += len(block.pieces)
    budget.left -= len(block.pieces)
    return ("max_tokens" if cut else "end_turn"), None


def _write_until_stop(tokens: Iterator[str], stops: list[str], budget: _Budget,
                      block: Block) -> tuple[str, str | None]:
    """Like the fast path, but watch the text for the earliest stop sequence and cut before it."""
    longest = max(len(s) for s in stops)
    text = ""
    for tok in tokens:
        if budget.left == 0:
            return "max_tokens", None
        budget.left -= 1
        budget.used += 1
        before = len(text)
        text += tok
        block.pieces.append(tok)
        # Only a match ending in the new token is new: search from just before it.
        hit = _first_stop(text, stops, max(0, before - longest + 1))
        if hit is not None:
            block.pieces = _cut(block.pieces, hit[0])
            return "stop_sequence", hit[1]
    return "end_turn", None


def _text_tokens(ack: str, model: NGramModel, prompt: str, params: SamplingParams, rng: random.Random,
                 *, endless: bool, continuation: bool) -> Iterator[str]:
    """The acknowledgement's tokens, then the sampler's (the first one gets a leading space
    after an acknowledgement: a word with its space is still one token)."""
    yield from tokenize(ack)
    first = bool(ack)
    for tok in model.tokens(prompt, params, rng, endless=endless, continuation=continuation):
        if first:
            tok = " " + tok.lstrip()
            first = False
        yield tok


def _cut(pieces: list[str], at: int) -> list[str]:
    """``pieces`` cut so that their concatenation is the first ``at`` characters."""
    kept, used = [], 0
    for piece in pieces:
        if used + len(piece) <= at:
            kept.append(piece)
            used += len(piece)
            continue
        if at > used:
            kept.append(piece[: at - used])
        break
    return kept


def _first_stop(text: str, stops: list[str], start: int) -> tuple[int, str] | None:
    best: tuple[int, str] | None = None
    for seq in stops:
        at = text.find(seq, start)
        if at >= 0 and (best is None or at < best[0]):
            best = (at, seq)
    return best


def pick_tools(req: MessagesRequest) -> list[dict]:
    """The tools this turn calls, in call order (see the module docstring); ``[]`` for none."""
    if not req.tools:
        return []
    kind = req.tool_choice.get("type", "auto")
    if kind == "none":
        return []
    if kind == "tool":
        return [next(t for t in req.tools if t["name"] == req.tool_choice["name"])]
    # Only the user's own words count: a tool_result that mentions a tool must not loop.
    lowered = req.conversation.user_text.lower()
    words = re.findall(r"[a-z0-9]+", lowered)
    named = sorted((at, i) for i, t in enumerate(req.tools)
                   if (at := lowered.find(t["name"].lower())) >= 0 or (at := _subject_at(t, words, lowered)) >= 0)
    chosen = [req.tools[i] for _, i in named]
    if not chosen and kind == "any":
        chosen = [req.tools[0]]
    if req.tool_choice.get("disable_parallel_tool_use"):
        chosen = chosen[:1]
    return chosen


# Verbs and filler of tool names: "get_weather" is about "weather", "searchFlights" about "flights".
_NAME_FILLER = STOPWORDS | {"get", "set", "fetch", "find", "lookup", "look", "search", "list", "query", "run", "do",
                            "make", "check", "call", "use", "tool", "tools", "api", "current"}


def _subject_at(tool: dict, words: list[str], lowered: str) -> int:
    """Where the user's text first names every subject word of the tool's name (the name split at
    ``_``, ``-`` and camelCase, verbs and filler dropped), or -1. A deferred tool (``defer_loading``)
    is not called this way: the model has not seen it yet."""
    if tool.get("defer_loading"):
        return -1
    parts = [p.lower() for p in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+", tool["name"])]
    subject = [p for p in parts if p not in _NAME_FILLER and len(p) > 1]
    if not subject or not all(p in words for p in subject):
        return -1
    return min(m.start() for p in subject for m in [re.search(rf"\b{re.escape(p)}\b", lowered)] if m)


def _preface(tools: list[dict]) -> str:
    names = [t["name"] for t in tools]
    if len(names) == 1:
        return f"I'll use the {names[0]} tool."
    return f"I'll use the {', '.join(names[:-1])} and {names[-1]} tools."


_NOT_ARGUMENTS = STOPWORDS | {"whats", "use", "call", "find", "get", "look", "search"}


def tool_input(tool: dict, prompt: str) -> dict:
    """Arguments for ``tool`` from its ``input_schema``, filled deterministically from the prompt:
    strings get the first capitalized word that is not a sentence start (else the last
    content word), numbers the first number in the prompt (else 1), booleans ``true``,
    enums their first value, arrays ``[]`` and objects ``{}``."""
    schema = tool.get("input_schema") or {}
    props = schema.get("properties") or {}
    required = schema.get("required") or list(props)
    names = {tool["name"].lower()}
    words = re.findall(r"[A-Za-z][\w-]*", prompt)
    sentence_start = {m.group(1) for m in re.finditer(r"(?:^|[.!?]\s+)([A-Za-z][\w-]*)", prompt)}
    proper = [w for w in words if w[0].isupper() and w not in sentence_start and w.lower() not in names]
    content = [w for w in words if w.lower() not in _NOT_ARGUMENTS and w.lower() not in names]
    numbers = re.findall(r"-?\d+(?:\.\d+)?", prompt)
    args: dict = {}
    for name in required:
        spec = props.get(name) or {}
        kind = spec.get("type", "string")
        if "enum" in spec and spec["enum"]:
            args[name] = spec["enum"][0]
        elif kind == "string":
            args[name] = (proper or content[-1:] or ["example"])[0]
        elif kind == "integer":
            args[name] = int(float(numbers[0])) if numbers else 1
        elif kind == "number":
            args[name] = float(numbers[0]) if numbers else 1.0
        elif kind == "boolean":
            args[name] = True
        elif kind == "array":
            args[name] = []
        else:
            args[name] = {}
    return args


def count_output(reply: Reply) -> int:
    """Recount a reply's output tokens from its blocks (a consistency check for tests)."""
    total = reply.thinking_tokens
    for block in reply.blocks:
        if block.type not in ("thinking", "redacted_thinking"):
            total += count(block.text)
    return total
