"""The base URL a phone on the same network uses to reach this server."""

from __future__ import annotations

import ipaddress

import ifaddr

from server.core.config import Settings


def lan_address() -> str:
    """The first private IPv4 address of this machine's interfaces, else loopback."""
    candidates: list[ipaddress.IPv4Address] = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str):
                address = ipaddress.IPv4Address(ip.ip)
                if not address.is_loopback and not address.is_link_local:
                    candidates.append(address)
    private = [a for a in candidates if a.is_private]
    chosen = (private or candidates or [ipaddress.IPv4Address("127.0.0.1")])[0]
    return str(chosen)


def phone_base_url(settings: Settings) -> str:
    """PUBLIC_URL when set, otherwise http://<LAN address>:<port>."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    return f"http://{lan_address()}:{settings.port}"
