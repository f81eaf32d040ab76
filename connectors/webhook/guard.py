"""Refusing loopback, private and link-local targets at connect time.

Checking a hook's URL when it is created is not enough: a public name can
later resolve to ``127.0.0.1`` (DNS rebinding). So the check sits where the
socket is opened. The name is resolved once, every address it resolves to is
checked, and the socket connects to the address that was checked, never to a
second resolution of the name. TLS still verifies the certificate against the
hostname, since urllib3 takes that from ``host``, not from the address.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NameResolutionError, NewConnectionError


class PrivateTargetError(NewConnectionError):
    """The target resolves to an address hooks may not reach."""


# IPv6 ranges that carry an IPv4 address inside them (NAT64, RFC 6052 and
# RFC 8215): the embedded address is the one that is really reached.
NAT64_PREFIXES = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
)


def is_public(address: str) -> bool:
    """Tell whether an IP address is on the public internet."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_site_local:
            return False
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and any(ip in prefix for prefix in NAT64_PREFIXES):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            ip = embedded

    return ip.is_global and not ip.is_multicast


def _guarded_new_conn(connection: Any, parent: type[HTTPConnection]) -> socket.socket:
    try:
        infos = socket.getaddrinfo(connection._dns_host, connection.port, 0, 1)
    except socket.gaierror as exc:
        raise NameResolutionError(connection.host, connection, exc) from exc

    for info in infos:
        address = str(info[4][0])
        if not is_public(address):
            raise PrivateTargetError(
                connection,
                f"{connection.host} resolves to {address}, a loopback, private or "
                "link-local address; hooks may not reach it unless the operator "
                "sets EVENTHUB_ALLOW_PRIVATE_TARGETS=1.",
            )

    original = connection._dns_host
    connection._dns_host = str(infos[0][4][0])
    try:
        return parent._new_conn(connection)
    finally:
        connection._dns_host = original


class GuardedHTTPConnection(HTTPConnection):
    """An HTTP connection that only opens sockets to public addresses."""

    def _new_conn(self) -> socket.socket:
        return _guarded_new_conn(self, HTTPConnection)


class GuardedHTTPSConnection(HTTPSConnection):
    """An HTTPS connection that only opens sockets to public addresses."""

    def _new_conn(self) -> socket.socket:
        return _guarded_new_conn(self, HTTPSConnection)


class GuardedHTTPConnectionPool(HTTPConnectionPool):
    """A pool of :class:`GuardedHTTPConnection`."""

    ConnectionCls = GuardedHTTPConnection


class GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    """A pool of :class:`GuardedHTTPSConnection`."""

    ConnectionCls = GuardedHTTPSConnection


class GuardedPoolManager(PoolManager):
    """A pool manager whose connections refuse non-public addresses."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pool_classes_by_scheme = {
            "http": GuardedHTTPConnectionPool,
            "https": GuardedHTTPSConnectionPool,
        }


def refusal(exc: BaseException) -> PrivateTargetError | None:
    """Find a :class:`PrivateTargetError` inside an HTTP client's exception."""
    seen: set[int] = set()
    pending: list[Any] = [exc]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, PrivateTargetError):
            return current
        pending.extend([getattr(current, "reason", None), current.__cause__])
        pending.extend(arg for arg in getattr(current, "args", ()) if arg is not None)

    return None
