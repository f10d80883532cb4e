"""Thinking-block signatures: an HMAC of the thinking text, so a block sent back in a later
request can be checked byte for byte, as the real API does.

The key is fixed (not secret: this is an emulator), so a history survives a restart.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

_KEY = b"playground-emulator thinking signature v1"
_PREFIX = "EmuSig1"


def sign(thinking: str) -> str:
    """The ``signature`` of a thinking block whose text is ``thinking``."""
    mac = hmac.new(_KEY, thinking.encode("utf-8"), hashlib.sha256).digest()
    return _PREFIX + base64.b64encode(mac).decode("ascii")


def verify(thinking: object, signature: object) -> bool:
    """True when ``signature`` was made by :func:`sign` for exactly this ``thinking`` text."""
    if not isinstance(thinking, str) or not isinstance(signature, str):
        return False
    return hmac.compare_digest(sign(thinking), signature)
