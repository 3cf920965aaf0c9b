"""A guard that refuses every network connection except to this machine.

Used around end-to-end runs: if any library (Airflow, Cosmos, dbt, Great Expectations)
tried to phone home, the attempt is refused before a packet leaves and is recorded.
"""

from __future__ import annotations

import socket
from contextlib import contextmanager

LOCAL_HOSTS = {"127.0.0.1", "::1", "localhost", "", None}


class OutsideConnectionRefused(ConnectionRefusedError):
    pass


def _is_local(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    # Airflow records the worker's own hostname: resolving it stays on this machine
    return (
        host in LOCAL_HOSTS
        or host == socket.gethostname()
        or str(host).startswith("127.")
        or str(host).startswith("/")
    )


@contextmanager
def only_local_network():
    """Yield a list that collects every refused destination."""
    refused: list = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(sock, address):
        if sock.family == getattr(socket, "AF_UNIX", None) or _is_local(address[0]):
            return
        refused.append(address)
        raise OutsideConnectionRefused(f"network guard: connection to {address} refused")

    def connect(sock, address):
        check(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock, address):
        check(sock, address)
        return real_connect_ex(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        if not _is_local(host):
            refused.append(host)
            raise socket.gaierror(f"network guard: lookup of {host} refused")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
    try:
        yield refused
    finally:
        socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = (
            real_connect,
            real_connect_ex,
            real_getaddrinfo,
        )
