INTEGRATION_TESTS += t/tls.py
EXTRA_DIST += t/tlsutil.py
INTEGRATION_TESTS += t/h2.py
