from __future__ import annotations

import hashlib
import hmac
import time
from typing import Optional, Union


def verify_webhook_signature(secret: str, header: str, body: Union[bytes, str], tolerance: int = 300,
                             now: Optional[float] = None) -> bool:
    """Verifies an operator webhook's ``Ledger-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">``
    (Stripe's scheme) against the raw body. False when no v1 matches the secret (or any of several, comma-separated
    while rotating) or when ``t`` is more than ``tolerance`` seconds from now (a replayed old delivery)."""
    pairs = [part.strip().split("=", 1) for part in header.split(",")]
    t = next((p[1] for p in pairs if len(p) == 2 and p[0] == "t"), None)
    signatures = [p[1] for p in pairs if len(p) == 2 and p[0] == "v1"]
    if t is None or not t.isdigit() or not signatures:
        return False
    if abs((time.time() if now is None else now) - int(t)) > tolerance:
        return False
    raw = body.encode("utf-8") if isinstance(body, str) else body
    for s in secret.split(","):
        expected = hmac.new(s.strip().encode("utf-8"), t.encode("ascii") + b"." + raw, hashlib.sha256).hexdigest()
        if any(hmac.compare_digest(expected, v.lower()) for v in signatures):
            return True
    return False
