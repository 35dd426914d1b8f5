"""CTest runs each Catch2 test case by its name (catch_discover_tests), and
CMake cuts a name at ';' (its list separator): the filter then matches no test
case, and Catch2 reports success without running anything. No test case name
may hold a ';'."""
import os
import re
import unittest

TB = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class TestCaseNames(unittest.TestCase):
    def test_no_semicolon_in_a_test_case_name(self):
        bad = []
        for root, _, files in os.walk(TB):
            for f in files:
                if not f.endswith(".cpp"):
                    continue
                path = os.path.join(root, f)
                with open(path, errors="replace") as fh:
                    text = fh.read()
                for m in re.finditer(r'TEST_CASE\(\s*"((?:[^"\\]|\\.)*)"', text):
                    if ";" in m.group(1):
                        line = text.count("\n", 0, m.start()) + 1
                        bad.append(f"{os.path.relpath(path, TB)}:{line}: {m.group(1)}")
        self.assertEqual(bad, [], "test case names with ';' (CTest would run nothing):\n" + "\n".join(bad))


if __name__ == "__main__":
    unittest.main()
