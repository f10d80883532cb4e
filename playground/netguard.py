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


def is_blocked(address: IPAddress) -> bool:
    """Anything not globally routable (loopback, private, CGNAT, link-local, reserved, ...) or multicast;
    IPv4-mapped IPv6 addresses are judged by their IPv4 part."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
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
    address = ipaddress.ip_address(address_text.split("%", 1)[0])  # drop an IPv6 zone id
    if is_blocked(address):
        raise BlockedAddressError(
            f"refusing {host}: it resolves to {address}, a private or loopback address. "
            "Use a public endpoint, or allow private hosts (allow_private_hosts=True) if you trust it."
        )


def _check(host: str, addresses: list[str]) -> None:
    for text in addresses:
        check_address(host, text)


def _literal(host: str) -> list[str] | None:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        return None


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
