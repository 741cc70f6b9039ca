import time
import unittest

from ledger_client import InsufficientCreditsError, LedgerError, MeteredError

from .support import DroppingProxy, client, new_account


class MeteredTests(unittest.TestCase):
    def test_success_commits_the_actual_cost_not_the_estimate(self):
        ledger = client()
        account_id = new_account("py-ok")
        with ledger.metered(account_id, amount=300, feature="ai") as hold:
            self.assertEqual(ledger.get_balance(account_id)["reserved"], 300)
            hold.commit(120)
        balance = ledger.get_balance(account_id)
        self.assertEqual(balance["available"], 10_000 - 120)
        self.assertEqual(balance["consumed"], 120)
        self.assertEqual(balance["reserved"], 0)

    def test_an_exception_releases_the_hold_and_propagates(self):
        ledger = client()
        account_id = new_account("py-throw")
        with self.assertRaisesRegex(RuntimeError, "model overloaded"):
            with ledger.metered(account_id, amount=300, feature="ai") as hold:
                raise RuntimeError("model overloaded")
        reservation = ledger.get_reservation(account_id, hold.reservation_id)
        self.assertEqual(reservation["status"], "released")
        self.assertEqual(reservation["releaseReason"], "error: model overloaded")
        self.assertEqual(ledger.get_balance(account_id)["available"], 10_000)

    def test_no_credits_raises_a_typed_402_and_the_block_never_runs(self):
        ledger = client()
        account_id = new_account("py-empty")
        ledger.record_usage(account_id, {"amount": 10_000, "feature": "ai"})
        ran = False
        with self.assertRaises(InsufficientCreditsError) as caught:
            with ledger.metered(account_id, amount=50, feature="ai"):
                ran = True
        self.assertIsInstance(caught.exception, LedgerError)
        self.assertEqual(caught.exception.status, 402)
        self.assertEqual(caught.exception.problem["type"], "/problems/insufficient-credits")
        self.assertEqual(caught.exception.problem["requested"], 50)
        self.assertFalse(ran)

    def test_a_block_that_outlives_its_ttl_keeps_the_hold_alive_then_commits(self):
        ledger = client()
        account_id = new_account("py-long")
        with ledger.metered(account_id, amount=200, feature="ai", ttl_seconds=3) as hold:
            time.sleep(5)  # 1.7 ttls
            extensions = hold.extensions
            hold.commit(150)
        self.assertGreaterEqual(extensions, 2)
        reservation = ledger.get_reservation(account_id, hold.reservation_id)
        self.assertEqual(reservation["status"], "committed")
        self.assertEqual(reservation["committed"], 150)

    def test_a_commit_whose_answer_is_lost_is_retried_and_applied_once(self):
        proxy = DroppingProxy(b"/commit")
        try:
            account_id = new_account("py-drop")
            with client(proxy.url).metered(account_id, amount=300, feature="ai") as hold:
                hold.commit(250)
            self.assertEqual(proxy.dropped, 1, "the proxy dropped the first commit answer")
        finally:
            proxy.close()
        ledger = client()
        self.assertEqual(ledger.get_balance(account_id)["consumed"], 250)
        commits = [e for e in ledger.events(account_id, limit=2) if e["type"] == "reservation_committed"]
        self.assertEqual(len(commits), 1)
        self.assertEqual(commits[0]["metadata"]["idempotencyKey"], f"{hold.reservation_id}:commit")

    def test_a_retry_after_a_crash_with_the_same_reservation_id_resolves_the_same_hold(self):
        ledger = client()
        account_id = new_account("py-crash")
        reservation_id = f"job-{account_id}"
        # The crashed call got this far: its reserve (as the helper sends it), then nothing.
        ledger.reserve(account_id, {"reservationId": reservation_id, "amount": 300, "ttlSeconds": 300, "feature": "ai"},
                       idempotency_key=f"{reservation_id}:reserve")
        with ledger.metered(account_id, amount=300, feature="ai", reservation_id=reservation_id) as hold:
            self.assertEqual(hold.reservation_id, reservation_id)
            hold.commit(100)
        balance = ledger.get_balance(account_id)
        self.assertEqual((balance["consumed"], balance["reserved"]), (100, 0))
        holds = [e for e in ledger.events(account_id) if e["type"] == "credits_reserved"]
        self.assertEqual(len(holds), 1, "one hold, not two")

    def test_the_decorator_form_commits_the_returned_cost_and_returns_the_value(self):
        ledger = client()
        account_id = new_account("py-deco")

        @ledger.metered(lambda prompt, account: account, amount=100, feature="ai")
        def generate(hold, prompt, account):
            return 40, f"{prompt} ({hold.reservation_id[:4]})"

        self.assertEqual(generate("hello", account=account_id), "hello (mtr_)")
        self.assertEqual(ledger.get_balance(account_id)["consumed"], 40)

    def test_a_block_left_without_commit_releases_and_says_so(self):
        ledger = client()
        account_id = new_account("py-nocommit")
        with self.assertRaises(MeteredError):
            with ledger.metered(account_id, amount=100, feature="ai") as hold:
                pass
        self.assertEqual(ledger.get_reservation(account_id, hold.reservation_id)["status"], "released")


if __name__ == "__main__":
    unittest.main()
