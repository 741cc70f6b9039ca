"""The service under test: scripts/test.sh (through the .NET client tests) starts one and sets LEDGER_URL and
LEDGER_ADMIN_KEY; to run these by hand, point them at any running service."""
from __future__ import annotations

import os
import socket
import threading
import uuid
from urllib.parse import urlparse

from ledger_client import LedgerClient, RetryPolicy

BASE_URL = os.environ.get("LEDGER_URL", "")
ADMIN_KEY = os.environ.get("LEDGER_ADMIN_KEY", "")
if not BASE_URL or not ADMIN_KEY:
    raise RuntimeError("set LEDGER_URL and LEDGER_ADMIN_KEY to a running Ledger service (see clients/README.md)")


def client(url: str = BASE_URL) -> LedgerClient:
    return LedgerClient(url, ADMIN_KEY, retry=RetryPolicy(base_delay=0.05))


def new_account(prefix: str) -> str:
    """A new account on the starter plan (10,000 credits, feature ``ai``)."""
    account_id = f"{prefix}-{uuid.uuid4().hex[:8]}"
    client().create_account({"accountId": account_id, "plan": "starter"})
    return account_id


class DroppingProxy:
    """A TCP proxy in front of the service that, for the first request whose bytes contain ``match``, lets the
    request through and then closes the client's connection instead of passing the response back."""

    def __init__(self, match: bytes) -> None:
        target = urlparse(BASE_URL)
        self._target = (target.hostname, target.port)
        self._match = match
        self._armed = True
        self._lock = threading.Lock()
        self.dropped = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._target)
            state = {"drop": False}
            threading.Thread(target=self._pipe_requests, args=(downstream, upstream, state), daemon=True).start()
            threading.Thread(target=self._pipe_responses, args=(upstream, downstream, state), daemon=True).start()

    def _pipe_requests(self, downstream: socket.socket, upstream: socket.socket, state: dict) -> None:
        try:
            while chunk := downstream.recv(65536):
                with self._lock:
                    if self._armed and self._match in chunk:
                        self._armed, state["drop"] = False, True
                upstream.sendall(chunk)
        except OSError:
            pass
        _close(upstream)

    def _pipe_responses(self, upstream: socket.socket, downstream: socket.socket, state: dict) -> None:
        try:
            while chunk := upstream.recv(65536):
                if state["drop"]:
                    self.dropped += 1
                    break
                downstream.sendall(chunk)
        except OSError:
            pass
        _close(downstream)
        _close(upstream)

    def close(self) -> None:
        self._server.close()


def _close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()
