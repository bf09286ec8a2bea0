INTEGRATION_TESTS += t/tls.py
INTEGRATION_TESTS += t/tls_scan.py
EXTRA_DIST += t/tlsutil.py
INTEGRATION_TESTS += t/h2.py
