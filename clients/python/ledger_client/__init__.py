"""Python client for Ledger: the whole v1 API and the metered helper. Standard library only."""

from ._http import RetryPolicy
from ._operations import OPERATION_INDEX
from ._problems import *  # noqa: F401,F403  one LedgerError subclass per problem type
from ._problems import PROBLEM_ERRORS
from .client import Hold, LedgerClient, Metered
from .errors import LedgerConnectionError, LedgerError, MeteredError
from .webhooks import verify_webhook_signature

__all__ = ["LedgerClient", "Hold", "Metered", "RetryPolicy", "LedgerError", "LedgerConnectionError", "MeteredError",
           "PROBLEM_ERRORS", "OPERATION_INDEX", "verify_webhook_signature"] + [c.__name__ for c in PROBLEM_ERRORS.values()]
