from __future__ import annotations

import http.client
import json
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from ._problems import PROBLEM_ERRORS
from .errors import LedgerConnectionError, LedgerError


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of network errors, 5xx, 429 and 409 request-in-progress, with the same Idempotency-Key each time."""

    retries: int = 4
    base_delay: float = 0.2
    max_delay: float = 20.0

    def delay(self, attempt: int, retry_after: Optional[str]) -> float:
        if retry_after is not None:
            try:
                return min(max(float(retry_after), 0.0), self.max_delay)
            except ValueError:
                pass
        ceiling = min(self.max_delay, self.base_delay * (2 ** attempt))
        return ceiling / 2 + random.random() * ceiling / 2


def _retryable(status: int, problem: Mapping[str, Any]) -> bool:
    return status == 429 or status >= 500 or (status == 409 and str(problem.get("type", "")).endswith("/request-in-progress"))


_NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError, socket.timeout, TimeoutError)


class Transport:
    def __init__(self, base_url: str, api_key: str, retry: RetryPolicy, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.retry = retry
        self.timeout = timeout

    def send(self, method: str, path: str, query: Optional[Mapping[str, Any]], body: Any,
             idempotency_key: Optional[str] = None) -> Any:
        url = self.base_url + path
        params = {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in (query or {}).items() if v is not None}
        if params:
            url += "?" + urllib.parse.urlencode(params)
        headers = {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if method != "GET":
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        attempt = 0
        while True:
            request = urllib.request.Request(url, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    text = response.read()
                    return json.loads(text) if text else None
            except urllib.error.HTTPError as error:
                text = error.read()
                problem = _problem(error.code, error.reason, text)
                if _retryable(error.code, problem) and attempt < self.retry.retries:
                    time.sleep(self.retry.delay(attempt, error.headers.get("Retry-After")))
                    attempt += 1
                    continue
                cls = PROBLEM_ERRORS.get(str(problem.get("type", "")).rsplit("/", 1)[-1], LedgerError)
                raise cls(error.code, problem, dict(error.headers.items())) from None
            except _NETWORK_ERRORS as error:
                if attempt >= self.retry.retries:
                    raise LedgerConnectionError(f"{method} {path}: {error}") from error
                time.sleep(self.retry.delay(attempt, None))
                attempt += 1


def _problem(status: int, reason: str, text: bytes) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else None
    except ValueError:
        value = None
    if isinstance(value, dict) and isinstance(value.get("type"), str):
        return value
    return {"type": f"/problems/http-{status}", "title": reason, "status": status}
