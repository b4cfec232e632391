"""Starting symgrad serve in tests: a free loopback port, and waiting until the server answers."""

from __future__ import annotations

import socket
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, seconds: float = 120) -> None:
    """The server answers once its checkers have loaded the bank (seconds on a busy machine)."""
    import httpx

    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(url + "api/problems", timeout=5)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise AssertionError(f"the server at {url} did not answer within {seconds} s") from None
            time.sleep(0.2)
