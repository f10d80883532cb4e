"""A tiny but real language model: a word-level trigram model with bigram interpolation.

It is trained at import-free, first-use time (well under 0.3 s, then cached) on the
public-domain text bundled in ``corpus/`` (see ``corpus/SOURCE.md``). Sampling really uses
the knobs, in this order, on the next-token distribution:

* ``temperature`` rescales log-probabilities (``p ** (1 / T)``); ``0`` means argmax, so a
  given prompt always gives the same reply;
* ``top_k`` keeps the ``k`` most likely tokens;
* ``top_p`` keeps the smallest set of most likely tokens whose mass reaches ``p``.

Each context keeps its :data:`MAX_CANDIDATES` most likely next tokens (the long tail of a
small corpus is mostly noise, and this keeps a step O(1) for the streaming benchmarks).

The reply continues from the user's prompt: it starts with the last prompt word the model
knows (so different prompts give different replies) and ends naturally (``end_turn``)
after :data:`SENTENCES` sentences or :data:`NATURAL_MAX_TOKENS` tokens, whichever comes first.
"""

from __future__ import annotations

import math
import random
import re
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import accumulate

from .tokenizer import tokenize

MAX_CANDIDATES = 50
SENTENCES = 3
NATURAL_MAX_TOKENS = 150
TRIGRAM_WEIGHT = 0.8  # the rest of the mass comes from the bigram model, so rare contexts still vary

_SENTENCE_END = frozenset({".", "!", "?"})
_BOUNDARY = "."  # the context a reply starts from when the prompt has no known word
# Words too common to be a topic: a reply "about" one of them would not follow the prompt.
STOPWORDS = frozenset(
    "a an and are as at be but by can do for from had has have her his how i if in is it its me my "
    "no not of on or she so that the their them then there they this to was we what when where "
    "which who why will with would you your tell about please give some write say".split()
)


@dataclass(frozen=True, slots=True)
class SamplingParams:
    """The knobs of one request. ``None`` means "not set" (the model default)."""

    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None


class _Dist:
    """Next-token candidates of one context, most likely first (ties broken by text,
    so argmax is deterministic). ``keys`` are the tokens' context keys, precomputed so a
    sampling step does no string work."""

    __slots__ = ("tokens", "keys", "logp", "cum")

    def __init__(self, weights: dict[str, float]) -> None:
        items = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_CANDIDATES]
        total = sum(w for _, w in items)
        self.tokens = [t for t, _ in items]
        self.keys = [_key(t) for t in self.tokens]
        self.logp = [math.log(w / total) for _, w in items]
        # Cumulative probabilities for the plain temperature-1 case (the benchmark path).
        self.cum = list(accumulate(w / total for _, w in items))


def _key(token: str) -> str:
    return token.strip().lower()


def _capitalize(token: str) -> str:
    """The first token of a reply: no leading space, upper-case initial."""
    token = token.lstrip()
    return token[:1].upper() + token[1:]


def normalize_corpus(text: str) -> list[str]:
    """Paragraphs of the corpus, cleaned so that generated text stays readable: quotes,
    brackets and emphasis marks are dropped (they would come out unbalanced), dashes become
    commas, and headings (lines without punctuation) are skipped."""
    paragraphs = []
    for para in re.split(r"\n\s*\n", text):
        if not re.search(r"[.!?;:,]", para):
            continue  # chapter numbers and titles
        para = para.replace("--", ", ")
        para = re.sub(r"[`\"()_*\[\]]", "", para)
        para = re.sub(r"(?<!\w)'|'(?!\w)", "", para)  # quote marks, not apostrophes
        para = re.sub(r"\s+", " ", para).strip()
        para = re.sub(r"\s+([,.;:!?])", r"\1", para)
        para = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", para)
        if para:
            paragraphs.append(para)
    return paragraphs


class NGramModel:
    """Trigram counts with bigram interpolation over the emulator tokenizer's tokens."""

    def __init__(self, text: str) -> None:
        tokens: list[str] = []
        for para in normalize_corpus(text):
            tokens.extend(tokenize(" " + para))
        keys = [_key(t) for t in tokens]
        bi: dict[str, Counter[str]] = defaultdict(Counter)
        tri: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for i in range(1, len(tokens)):
            bi[keys[i - 1]][tokens[i]] += 1
            if i >= 2:
                tri[(keys[i - 2], keys[i - 1])][tokens[i]] += 1
        self._bi_counts = bi
        self._tri_counts = tri
        self._tri: dict[tuple[str, str], _Dist] = {}
        self._bi: dict[str, _Dist] = {}
        # The surface form a known word most often has, to start a reply with it.
        forms: dict[str, Counter[str]] = defaultdict(Counter)
        for tok, k in zip(tokens, keys, strict=True):
            if k.isalpha():
                forms[k][tok.strip()] += 1
        self._forms = {k: c.most_common(1)[0][0] for k, c in forms.items()}
        self.vocabulary_size = len(bi)
        self.training_tokens = len(tokens)

    def distribution(self, k1: str, k2: str) -> _Dist:
        """Candidates after the context ``(k1, k2)`` (keys are stripped, lower-case tokens).

        Built lazily and cached: per known trigram context (trigram counts interpolated with
        the bigram), else per known last word (bigram only), else the sentence-start
        distribution. Unknown words from prompts therefore never grow the caches."""
        dist = self._tri.get((k1, k2))
        if dist is not None:
            return dist
        counts = self._tri_counts.get((k1, k2))
        if k2 not in self._bi_counts:
            k2 = _BOUNDARY
        bigram = self._bigram(k2)
        if counts is None:
            return bigram
        # Only the bigram's own top candidates can make the interpolated top list: outside
        # the trigram, weights are proportional to the bigram probability.
        weights = {t: (1 - TRIGRAM_WEIGHT) * math.exp(lp) for t, lp in zip(bigram.tokens, bigram.logp, strict=True)}
        n3 = sum(counts.values())
        for t, c in counts.items():
            weights[t] = weights.get(t, 0.0) + TRIGRAM_WEIGHT * c / n3
        # setdefault: if warm() built it meanwhile on its thread, everyone keeps one object
        return self._tri.setdefault((k1, k2), _Dist(weights))

    def _bigram(self, k2: str) -> _Dist:
        dist = self._bi.get(k2)
        if dist is None:
            bigram = self._bi_counts[k2]
            n2 = sum(bigram.values())
            dist = self._bi.setdefault(k2, _Dist({t: c / n2 for t, c in bigram.items()}))
        return dist

    def warm(self) -> None:
        """Build every context's distribution now (about 0.25 s), so the first long reply
        streams as fast as later ones. Safe to call from a worker thread; idempotent."""
        for k1, k2 in list(self._tri_counts):
            self.distribution(k1, k2)

    def topic(self, prompt: str) -> tuple[str, str, str | None]:
        """The context a reply to ``prompt`` starts from: ``(k1, k2, first_word)``.

        ``first_word`` is the last known, non-trivial prompt word (the reply starts with it),
        or ``None`` when the prompt has none (the reply starts a fresh sentence)."""
        keys = [_key(t) for t in tokenize(prompt)]
        for i in range(len(keys) - 1, -1, -1):
            k = keys[i]
            if k.isalpha() and k not in STOPWORDS and k in self._forms:
                return _BOUNDARY, k, self._forms[k]
        return _BOUNDARY, _BOUNDARY, None

    def tokens(
        self,
        prompt: str,
        params: SamplingParams,
        rng: random.Random,
        *,
        endless: bool = False,
        sentences: int = SENTENCES,
        continuation: bool = False,
    ) -> Iterator[str]:
        """Yield reply tokens until the natural end (never, when ``endless``).

        With ``continuation`` the tokens continue ``prompt`` itself (an assistant prefill)
        instead of starting a new reply about its topic."""
        sampler = _StepSampler(params, rng)
        produced = 0
        done_sentences = 0
        if continuation:
            keys = [_BOUNDARY, _BOUNDARY] + [_key(t) for t in tokenize(prompt)]
            k1, k2 = keys[-2], keys[-1]
        else:
            k1, k2, first = self.topic(prompt)
            if first is not None:
                yield first[:1].upper() + first[1:]
                produced = 1
        distribution, pick = self.distribution, sampler.pick
        if endless:  # the benchmark path: no end checks
            if produced == 0:
                dist = distribution(k1, k2)
                i = pick(dist)
                k1, k2 = k2, dist.keys[i]
                yield dist.tokens[i] if continuation else _capitalize(dist.tokens[i])
            while True:
                dist = distribution(k1, k2)
                i = pick(dist)
                k1, k2 = k2, dist.keys[i]
                yield dist.tokens[i]
        while True:
            dist = distribution(k1, k2)
            i = pick(dist)
            tok = dist.tokens[i]
            if produced == 0 and not continuation:
                tok = _capitalize(tok)
            yield tok
            produced += 1
            k1, k2 = k2, dist.keys[i]
            if k2 in _SENTENCE_END:
                done_sentences += 1
                if done_sentences >= sentences:
                    return
            if produced >= NATURAL_MAX_TOKENS:
                return


class _StepSampler:
    """Applies temperature, top_k and top_p to a distribution and draws one token.

    Transformed cumulative weights are memoized per distribution: a long reply revisits the
    same contexts, and this keeps every knob setting fast enough for the benchmarks."""

    def __init__(self, params: SamplingParams, rng: random.Random) -> None:
        self.t = params.temperature
        self.k = params.top_k or 0
        self.p = params.top_p if params.top_p is not None else 1.0
        self.rng = rng
        self.plain = self.t == 1.0 and self.k == 0 and self.p >= 1.0
        self._memo: dict[_Dist, list[float]] = {}  # keyed by the object itself: ids can be reused

    def pick(self, dist: _Dist) -> int:
        """The index in ``dist`` of the drawn token."""
        if self.t <= 0:
            return 0
        if self.plain:
            cum = dist.cum
        else:
            cum = self._memo.get(dist)
            if cum is None:
                cum = self._memo[dist] = self._transform(dist)
        i = bisect_right(cum, self.rng.random() * cum[-1])
        return i if i < len(cum) else len(cum) - 1

    def _transform(self, dist: _Dist) -> list[float]:
        top = dist.logp[0]
        # Log-space so that tiny temperatures do not underflow: the best token weighs 1.
        weights = [math.exp((lp - top) / self.t) for lp in dist.logp]
        if self.k:
            weights = weights[: self.k]
        cum = list(accumulate(weights))
        if self.p < 1.0:
            cut = bisect_right(cum, self.p * cum[-1] * (1 - 1e-12))
            cum = cum[: cut + 1]
        return cum


@lru_cache(maxsize=1)
def default_model() -> NGramModel:
    """The model trained on the bundled corpus (built once per process)."""
    text = resources.files("playground.emulator").joinpath("corpus/alice.txt").read_text(encoding="utf-8")
    return NGramModel(text)
