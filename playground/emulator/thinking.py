"""Thinking-block signatures and redacted-thinking payloads, both HMAC-authenticated, so a block
sent back in a later request can be checked byte for byte, as the real API does.

* ``thinking.signature``: an HMAC of the thinking text;
* ``redacted_thinking.data``: base64 of ``EmuRT1`` + the thinking text XOR-ed with an HMAC keystream
  (opaque to clients, like the real API's encrypted payload) + an HMAC of everything before it.

The keys are fixed (not secret: this is an emulator), so a history survives a restart.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

_KEY = b"playground-emulator thinking signature v1"
_PREFIX = "EmuSig1"
_REDACT_KEY = b"playground-emulator redacted thinking v1"
_REDACT_MAGIC = b"EmuRT1"
_MAC_BYTES = hashlib.sha256().digest_size


def sign(thinking: str) -> str:
    """The ``signature`` of a thinking block whose text is ``thinking``."""
    mac = hmac.new(_KEY, thinking.encode("utf-8"), hashlib.sha256).digest()
    return _PREFIX + base64.b64encode(mac).decode("ascii")


def verify(thinking: object, signature: object) -> bool:
    """True when ``signature`` was made by :func:`sign` for exactly this ``thinking`` text."""
    if not isinstance(thinking, str) or not isinstance(signature, str):
        return False
    return hmac.compare_digest(sign(thinking), signature)


def _keystream(length: int) -> bytes:
    """``length`` pseudo-random bytes from the redaction key (deterministic: the same thought
    redacts to the same data, so seeded streaming and non-streaming replies stay identical)."""
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += hmac.new(_REDACT_KEY, b"stream" + counter.to_bytes(8, "big"), hashlib.sha256).digest()
        counter += 1
    return bytes(out[:length])


def _redaction_mac(sealed: bytes) -> bytes:
    return hmac.new(_REDACT_KEY, b"mac" + sealed, hashlib.sha256).digest()


def redact(thinking: str) -> str:
    """The opaque ``data`` of a ``redacted_thinking`` block hiding ``thinking``."""
    plain = thinking.encode("utf-8")
    sealed = _REDACT_MAGIC + bytes(a ^ b for a, b in zip(plain, _keystream(len(plain)), strict=True))
    return base64.b64encode(sealed + _redaction_mac(sealed)).decode("ascii")


def verify_redacted(data: object) -> bool:
    """True when ``data`` is exactly what :func:`redact` produced (any changed, added or removed
    character, padding included, makes it false)."""
    if not isinstance(data, str) or not data.isascii():
        return False
    try:
        raw = base64.b64decode(data, validate=True)
    except ValueError:  # binascii.Error is a ValueError
        return False
    # Canonical form only: base64 has a few spellings of the same bytes, the API wants the same text.
    if base64.b64encode(raw).decode("ascii") != data:
        return False
    sealed, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    if len(raw) < len(_REDACT_MAGIC) + _MAC_BYTES or not sealed.startswith(_REDACT_MAGIC):
        return False
    return hmac.compare_digest(_redaction_mac(sealed), mac)
