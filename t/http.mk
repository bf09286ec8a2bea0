# Integration tests: each t/NAME.py starts the real daemon and prints TAP.
INTEGRATION_TESTS += t/smoke.py
INTEGRATION_TESTS += t/http_bad.py
INTEGRATION_TESTS += t/http_conn.py
INTEGRATION_TESTS += t/static.py
INTEGRATION_TESTS += t/fresh.py
INTEGRATION_TESTS += t/syscalls.py
INTEGRATION_TESTS += t/selection.py
INTEGRATION_TESTS += t/gzip.py
