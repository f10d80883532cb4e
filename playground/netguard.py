"""Refuse base URLs that point into private networks (for a hosted playground where users may
type any URL: without this, the server could be made to call its own internal services).

The check resolves the host name and inspects every address; it never connects. The providers
also check again at connect time (transport.client.GuardedResolver), against DNS rebinding.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from .errors import BlockedAddressError, ParameterError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


# The IANA special-purpose registries (IPv4 and IPv6) beyond what ``ipaddress`` already calls private:
# none of these is a place a hosted playground should send a visitor's request.
_SPECIAL_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
    "::/96",  # unspecified, loopback and the deprecated IPv4-compatible addresses
    "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "3fff::/20", "5f00::/16", "fc00::/7",
    "fe80::/10", "fec0::/10", "ff00::/8",
))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def carried_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: IPv4-mapped (``::ffff:a.b.c.d``), 6to4
    (``2002::/16``), NAT64 (``64:ff9b::/96``) and Teredo (``2001::/32``: its server and client)."""
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address in _NAT64:
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    if address.teredo is not None:
        return list(address.teredo)
    return []


def is_blocked(address: IPAddress) -> bool:
    """The guard's one decision: True for anything not globally routable (loopback, private, CGNAT,
    link-local, documentation, benchmarking, reserved, every IANA special-purpose range) or
    multicast. IPv6 addresses that carry an IPv4 address (mapped, 6to4, NAT64, Teredo) are judged
    by the IPv4 address they carry."""
    if isinstance(address, ipaddress.IPv6Address):
        carried = carried_ipv4(address)
        if carried:
            return any(is_blocked(v4) for v4 in carried)
    if any(address in network for network in _SPECIAL_NETWORKS if network.version == address.version):
        return True
    return (address.is_loopback or address.is_private or address.is_link_local or address.is_reserved
            or address.is_multicast or address.is_unspecified or not address.is_global)


def _host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ParameterError("api_base", f"expected an http(s) URL like https://host/v1, got {url!r}.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ParameterError("api_base", f"the port in {url!r} is not a number.") from None
    return parts.hostname, port


def check_address(host: str, address_text: str) -> None:
    """Raise BlockedAddressError if ``host``'s resolved ``address_text`` is not public."""
    address = ipaddress.ip_address(address_text.strip("[]").split("%", 1)[0])  # drop an IPv6 zone id
    if is_blocked(address):
        raise BlockedAddressError(
            f"refusing {host}: it resolves to {address}, a private or loopback address. "
            "Use a public endpoint, or allow private hosts (allow_private_hosts=True) if you trust it."
        )


def _check(host: str, addresses: list[str]) -> None:
    for text in addresses:
        check_address(host, text)


def literal_address(host: str) -> IPAddress | None:
    """``host`` as an IP address when it is an IP literal (brackets and an IPv6 zone id allowed), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _literal(host: str) -> list[str] | None:
    address = literal_address(host)
    return None if address is None else [str(address)]


def check_base_url(url: str, allow_private: bool) -> None:
    """Raise BlockedAddressError if ``url``'s host resolves to a non-public address and
    ``allow_private`` is False. Resolves with the system resolver; never connects."""
    if allow_private:
        return
    host, port = _host_and_port(url)
    addresses = _literal(host)
    if addresses is None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise BlockedAddressError(f"refusing {host}: it does not resolve ({exc.strerror or exc}).") from None
        addresses = [info[4][0] for info in infos]
    _check(host, addresses)


async def check_base_url_async(url: str, allow_private: bool) -> None:
    """:func:`check_base_url` without blocking the event loop on DNS."""
    if allow_private:
        return
    host, port = _host_and_port(url)
    addresses = _literal(host)
    if addresses is None:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise BlockedAddressError(f"refusing {host}: it does not resolve ({exc.strerror or exc}).") from None
        addresses = [info[4][0] for info in infos]
    _check(host, addresses)
