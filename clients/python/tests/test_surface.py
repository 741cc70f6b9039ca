import json
import unittest
import urllib.request

from ledger_client import OPERATION_INDEX, PROBLEM_ERRORS, LedgerClient, LedgerError

from .support import BASE_URL

EXCLUDED = {"POST /v1/webhooks/stripe"}  # called by Stripe with its own signature, never by a Ledger client


def get(path):
    with urllib.request.urlopen(BASE_URL + path) as response:
        return json.load(response)


class SurfaceTests(unittest.TestCase):
    def test_a_method_for_every_operation_of_the_live_openapi_document(self):
        document = get("/openapi/v1.json")
        live = {f"{method.upper()} {path}" for path, item in document["paths"].items()
                for method in item if method in ("get", "post", "put", "patch", "delete")}
        self.assertEqual(set(OPERATION_INDEX.values()), live - EXCLUDED)
        for name in OPERATION_INDEX:
            self.assertTrue(callable(getattr(LedgerClient, name, None)), name)

    def test_an_error_class_for_every_problem_type_of_the_live_catalog(self):
        codes = {p["code"] for p in get("/problems")["items"]}
        self.assertEqual(set(PROBLEM_ERRORS), codes)
        self.assertTrue(all(issubclass(c, LedgerError) for c in PROBLEM_ERRORS.values()))


if __name__ == "__main__":
    unittest.main()
