INTEGRATION_TESTS += t/tls.py
EXTRA_DIST += t/tlsutil.py
