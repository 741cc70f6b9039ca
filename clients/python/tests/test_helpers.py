import hashlib
import hmac
import unittest

from ledger_client import verify_webhook_signature

from .support import client, new_account


class PaginationTests(unittest.TestCase):
    def test_paginate_walks_every_page_of_a_cursor_list(self):
        ledger = client()
        account_id = new_account("py-pages")
        for i in range(5):
            ledger.reserve(account_id, {"reservationId": f"r-{i}", "amount": 10, "feature": "ai"})
        seen = [r["reservationId"] for r in ledger.paginate(
            lambda after: ledger.list_reservations(account_id, limit=2, starting_after=after), "reservationId")]
        self.assertEqual(sorted(seen), [f"r-{i}" for i in range(5)])
        self.assertEqual(len(list(ledger.pending_reservations(account_id))), 5)

    def test_events_iterates_the_whole_stream(self):
        ledger = client()
        account_id = new_account("py-events")
        for _ in range(3):
            ledger.record_usage(account_id, {"amount": 1, "feature": "ai"})
        versions = [e["version"] for e in ledger.events(account_id, limit=2)]
        self.assertEqual(versions, list(range(1, ledger.get_account(account_id)["version"] + 1)))


class WebhookSignatureTests(unittest.TestCase):
    def test_the_service_scheme_verifies_and_tampering_or_replays_do_not(self):
        secret, body, now = "whsec_test", b'{"id":"whd_1","type":"balance.low"}', 1_800_000_000

        def sign(t, b, s=secret):
            return f"t={t},v1=" + hmac.new(s.encode(), f"{t}.".encode() + b, hashlib.sha256).hexdigest()

        self.assertTrue(verify_webhook_signature(secret, sign(now, body), body, now=now))
        self.assertTrue(verify_webhook_signature("whsec_old," + secret, sign(now, body), body, now=now))
        self.assertFalse(verify_webhook_signature(secret, sign(now, body), body.replace(b"low", b"depleted"), now=now))
        self.assertFalse(verify_webhook_signature(secret, sign(now, body, "whsec_other"), body, now=now))
        self.assertFalse(verify_webhook_signature(secret, sign(now - 301, body), body, now=now))
        self.assertFalse(verify_webhook_signature(secret, "v1=abc", body, now=now))


if __name__ == "__main__":
    unittest.main()
