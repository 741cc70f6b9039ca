import os
import pathlib
import re
import subprocess
import sys
import unittest

from .support import ADMIN_KEY, BASE_URL

ROOT = pathlib.Path(__file__).resolve().parent.parent  # clients/python


class ReadmeTests(unittest.TestCase):
    def test_the_quick_start_runs_verbatim_and_prints_what_it_promises(self):
        readme = (ROOT / "README.md").read_text()
        block = re.search(r"## Quick start[\s\S]*?```python\n([\s\S]*?)```", readme)
        self.assertIsNotNone(block, 'no python block under "## Quick start"')
        env = {**os.environ, "LEDGER_URL": BASE_URL, "LEDGER_API_KEY": ADMIN_KEY, "PYTHONPATH": str(ROOT)}
        run = subprocess.run([sys.executable, "-c", block.group(1)], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertRegex(run.stdout, r"(?m)^an answer \(hold mtr_")
        self.assertRegex(run.stdout, r"(?m)^available 9880$")
        self.assertRegex(run.stdout, r"(?m)^failed: model overloaded$")
        self.assertRegex(run.stdout, r"(?m)^402 /problems/insufficient-credits available 9880$")
        self.assertRegex(run.stdout, r"reservation_committed")


if __name__ == "__main__":
    unittest.main()
