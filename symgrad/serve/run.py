"""Starting uvicorn for ``symgrad serve``: one process, or several sharing one listening socket that we
open ourselves as a TCP socket, so that every connection gets TCP_NODELAY (uvicorn's own socket for
several workers leaves it off, and a keep-alive client then waits 40 ms for each response body)."""

from __future__ import annotations

import socket


def run(host: str, port: int, workers: int) -> None:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("symgrad.serve.app:create_app", factory=True, host=host, port=port, workers=workers,
                            log_level="warning")
    if workers <= 1:
        uvicorn.Server(config).run()
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    try:
        Multiprocess(config, sockets=[sock]).run()
    except KeyboardInterrupt:
        pass
