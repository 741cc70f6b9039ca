from __future__ import annotations

from typing import Any, Mapping, Optional


class LedgerError(Exception):
    """A problem answer (RFC 9457) from the service. Each problem type has its own subclass
    (``InsufficientCreditsError`` for ``/problems/insufficient-credits`` ...), generated from ``GET /problems``."""

    def __init__(self, status: int, problem: Mapping[str, Any], headers: Optional[Mapping[str, str]] = None) -> None:
        self.status = status
        self.problem: dict[str, Any] = dict(problem)
        self.headers: dict[str, str] = dict(headers or {})
        self.code: str = str(problem.get("type", "")).rsplit("/", 1)[-1] or str(status)
        super().__init__(f"{status} {problem.get('type')}: {problem.get('detail') or problem.get('title')}")


class LedgerConnectionError(Exception):
    """No answer after every retry (connection refused or reset, timeout)."""


class MeteredError(Exception):
    """A metered block ended without ``hold.commit(cost)``: its hold was released, nothing was spent."""
