from __future__ import annotations

import functools
import threading
import urllib.parse
import uuid
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, TypeVar, Union

from ._http import RetryPolicy, Transport
from ._operations import Operations
from .errors import MeteredError

T = TypeVar("T")


class LedgerClient(Operations):
    """The Ledger v1 API (every operation, generated from the OpenAPI document) and the metered helper.

    >>> ledger = LedgerClient("http://127.0.0.1:5080", "lk_live_...")
    >>> with ledger.metered("acme", amount=300, feature="ai") as hold:
    ...     hold.commit(120)
    """

    def __init__(self, base_url: str, api_key: str, *, retry: Optional[RetryPolicy] = None, timeout: float = 30.0) -> None:
        self._transport = Transport(base_url, api_key, retry or RetryPolicy(), timeout)

    def _call(self, method: str, path: str, path_params: Mapping[str, str], query: Optional[Mapping[str, Any]],
              body: Any, idempotency_key: Optional[str] = None) -> Any:
        for name, value in path_params.items():
            path = path.replace("{" + name + "}", urllib.parse.quote(str(value), safe=""))
        return self._transport.send(method, path, query, body, idempotency_key)

    def metered(self, account_id: Union[str, Callable[..., str]], *, amount: int, feature: Optional[str] = None,
                ttl_seconds: int = 300, metadata: Optional[Mapping[str, str]] = None,
                reservation_id: Optional[str] = None, receipt_id: Optional[str] = None) -> "Metered":
        """Reserve ``amount`` on entering, extend the hold while the block runs, commit with ``hold.commit(cost)``;
        an exception (or a block left without a commit) releases the hold. Also a decorator: the function gets the
        hold first and returns its cost, or ``(cost, value)`` to return ``value``; ``account_id`` may then be a
        function of the call's arguments. The rules are in clients/README.md."""
        return Metered(self, account_id, amount, feature, ttl_seconds, metadata, reservation_id, receipt_id)

    def paginate(self, list_page: Callable[[Optional[str]], Mapping[str, Any]], id_field: str) -> Iterator[Dict[str, Any]]:
        """Every item of a cursor list (``limit``, ``starting_after``, ``has_more``), page after page:
        ``ledger.paginate(lambda after: ledger.list_accounts(starting_after=after), "accountId")``."""
        after: Optional[str] = None
        while True:
            page = list_page(after)
            yield from page["data"]
            if not page["has_more"] or not page["data"]:
                return
            after = page["data"][-1][id_field]

    def events(self, account_id: str, *, after: Optional[int] = None, limit: Optional[int] = None,
               type: Optional[str] = None, from_: Optional[str] = None, to: Optional[str] = None) -> Iterator[Dict[str, Any]]:
        """Every event of an account's stream (through the list's ``next`` cursor)."""
        while True:
            page = self.list_events(account_id, after=after, limit=limit, type=type, from_=from_, to=to)
            yield from page["items"]
            if page.get("next") is None or not page["items"]:
                return
            after = page["next"]

    def pending_reservations(self, account_id: str) -> Iterator[Dict[str, Any]]:
        """The open holds of an account, every page."""
        return self.paginate(lambda after: self.list_reservations(account_id, status="pending", limit=100, starting_after=after),
                             "reservationId")


class Hold:
    """A pending hold inside a metered block: commit its actual cost once the operation is done."""

    def __init__(self, client: LedgerClient, account_id: str, reservation: Dict[str, Any], ttl_seconds: int, receipt_id: Optional[str]):
        self._client = client
        self.account_id = account_id
        self.reservation_id: str = reservation["reservationId"]
        self.amount: int = reservation["amount"]
        self.reservation = reservation
        self.extensions = 0
        self.committed: Optional[Dict[str, Any]] = None
        self._commit_attempted = False
        self._ttl = ttl_seconds
        self._receipt_id = receipt_id
        self._run = uuid.uuid4().hex[:8]
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(target=self._beat, name=f"ledger-extend-{self.reservation_id}", daemon=True)
        self._heartbeat.start()

    def _beat(self) -> None:
        while not self._stop.wait(self._ttl / 2):
            try:
                answer = self._client.extend_reservation(self.account_id, self.reservation_id, {"ttlSeconds": self._ttl},
                                                         idempotency_key=f"{self.reservation_id}:extend:{self._run}:{self.extensions + 1}")
                self.extensions += 1
                self.reservation = answer["reservation"]
            except Exception:  # the next beat tries again; an expired hold shows at commit
                pass

    def _stop_extending(self) -> None:
        self._stop.set()
        self._heartbeat.join()

    def commit(self, cost: int, *, receipt_id: Optional[str] = None, metadata: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
        """Consume ``cost`` (may exceed the hold, as the API allows) and release the rest."""
        self._stop_extending()
        self._commit_attempted = True
        body: Dict[str, Any] = {"amount": cost}
        if receipt_id or self._receipt_id:
            body["receiptId"] = receipt_id or self._receipt_id
        if metadata:
            body["metadata"] = dict(metadata)
        self.committed = self._client.commit_reservation(self.account_id, self.reservation_id, body,
                                                         idempotency_key=f"{self.reservation_id}:commit")
        return self.committed

    def release(self, reason: str) -> None:
        self._stop_extending()
        self._client.release_reservation(self.account_id, self.reservation_id, {"reason": reason[:200]},
                                         idempotency_key=f"{self.reservation_id}:release")


class Metered:
    def __init__(self, client: LedgerClient, account_id: Union[str, Callable[..., str]], amount: int, feature: Optional[str],
                 ttl_seconds: int, metadata: Optional[Mapping[str, str]], reservation_id: Optional[str], receipt_id: Optional[str]):
        self._client, self._account_id, self._amount, self._feature = client, account_id, amount, feature
        self._ttl, self._metadata, self._reservation_id, self._receipt_id = ttl_seconds, metadata, reservation_id, receipt_id
        self._hold: Optional[Hold] = None

    def __enter__(self) -> Hold:
        if callable(self._account_id):
            raise TypeError("an account_id function is for the decorator form")
        reservation_id = self._reservation_id or f"mtr_{uuid.uuid4()}"
        body: Dict[str, Any] = {"reservationId": reservation_id, "amount": self._amount, "ttlSeconds": self._ttl}
        if self._feature is not None:
            body["feature"] = self._feature
        if self._metadata:
            body["metadata"] = dict(self._metadata)
        answer = self._client.reserve(self._account_id, body, idempotency_key=f"{reservation_id}:reserve")
        self._hold = Hold(self._client, self._account_id, answer["reservation"], self._ttl, self._receipt_id)
        return self._hold

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> bool:
        hold = self._hold
        assert hold is not None
        hold._stop_extending()
        if hold._commit_attempted:
            return False  # committed, or the commit itself failed: that error propagates, the hold stays as the API left it
        if exc is None:
            hold.release("not committed")
            raise MeteredError(f"metered block for {hold.reservation_id} ended without hold.commit(cost); its hold was released")
        reason = ("timeout" if isinstance(exc, TimeoutError) else "cancelled" if not isinstance(exc, Exception)
                  else f"error: {exc}")
        try:
            hold.release(reason)
        except Exception:  # the hold then expires at its ttl; the block's own exception matters more
            pass
        return False

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            account_id = self._account_id(*args, **kwargs) if callable(self._account_id) else self._account_id
            with Metered(self._client, account_id, self._amount, self._feature, self._ttl, self._metadata,
                         None, self._receipt_id) as hold:
                result = function(hold, *args, **kwargs)
                cost, value = result if isinstance(result, tuple) else (result, None)
                hold.commit(int(cost))
                return value
        return wrapper
