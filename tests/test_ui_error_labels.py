"""The guard's refusals read as sentences in the chat, not as "Unexpected error (SomeClass)"."""

from __future__ import annotations

import asyncio

import pytest

from playground.errors import BlockedAddressError, RedirectError
from playground.netguard import check_base_url_async
from playground.ui.messages import describe_error


def test_a_refused_private_base_url_is_a_clear_sentence() -> None:
    with pytest.raises(BlockedAddressError) as info:
        asyncio.run(check_base_url_async("http://10.1.2.3:8000/v1", allow_private=False))
    text = describe_error(info.value)
    assert text.startswith("**Private address refused**: refusing 10.1.2.3: it resolves to 10.1.2.3, a private")
    assert "Unexpected" not in text and "BlockedAddressError" not in text


def test_a_redirect_is_named_with_its_location() -> None:
    text = describe_error(RedirectError("https://gw.example/v1/messages", 307, "http://127.0.0.1:9/v1/messages"))
    assert text.startswith("**Redirect not followed**: https://gw.example/v1/messages answered HTTP 307")
    assert "http://127.0.0.1:9/v1/messages" in text and "Unexpected" not in text
