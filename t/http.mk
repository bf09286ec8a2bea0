# Integration tests: each t/NAME.py starts the real daemon and prints TAP.
INTEGRATION_TESTS += t/smoke.py
