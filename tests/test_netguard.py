"""The private-host guard's one decision, ``netguard.is_blocked``: IANA special-purpose ranges are
refused, and IPv6 addresses that carry an IPv4 address are judged by that IPv4 address."""

from __future__ import annotations

import ipaddress

import pytest

from playground.errors import BlockedAddressError
from playground.netguard import check_base_url, is_blocked


@pytest.mark.parametrize("address", [
    "192.0.0.8", "192.0.0.170", "198.18.0.1", "198.19.255.254", "100.64.0.1", "100.127.255.254", "0.1.2.3",
    "192.0.2.1", "198.51.100.7", "203.0.113.9", "240.0.0.1", "255.255.255.255", "192.88.99.1",
    "2001:db8::1", "100::1", "fc00::1", "fe80::1", "3fff::1", "::127.0.0.1",
])
def test_special_purpose_ranges_are_blocked(address: str) -> None:
    assert is_blocked(ipaddress.ip_address(address))


@pytest.mark.parametrize("address, blocked", [
    ("2002:7f00:1::1", True),           # 6to4 of 127.0.0.1
    ("2002:0a00:0001::", True),         # 6to4 of 10.0.0.1
    ("2002:c000:0208::", True),         # 6to4 of 192.0.2.8
    ("2002:0808:0808::1", False),       # 6to4 of 8.8.8.8
    ("64:ff9b::127.0.0.1", True),       # NAT64 of loopback
    ("64:ff9b::192.168.1.1", True),
    ("64:ff9b::8.8.8.8", False),
    ("64:ff9b:1::8.8.8.8", True),       # local-use NAT64 prefix: never public
    ("2001:0:808:808::80ff:fffe", True),  # Teredo: client 127.0.0.1 (stored inverted)
    ("2001:0:7f00:1::f7f7:f7f7", True),   # Teredo: server 127.0.0.1
    ("2001:0:808:808::f7f7:f7f7", False),  # Teredo: server and client 8.8.8.8
    ("::ffff:10.1.2.3", True),
    ("::ffff:1.1.1.1", False),
])
def test_ipv6_that_carries_ipv4_is_judged_by_it(address: str, blocked: bool) -> None:
    assert is_blocked(ipaddress.ip_address(address)) is blocked


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "2001:4860:4860::8888"])
def test_public_addresses_pass(address: str) -> None:
    assert not is_blocked(ipaddress.ip_address(address))


def test_a_6to4_literal_base_url_is_refused() -> None:
    with pytest.raises(BlockedAddressError, match="private or loopback"):
        check_base_url("http://[2002:7f00:1::1]:8080/v1", allow_private=False)
