# Integration tests of the reverse proxy and load balancing.
INTEGRATION_TESTS += t/proxy_basic.py
INTEGRATION_TESTS += t/proxy_lb.py
INTEGRATION_TESTS += t/proxy_apps.py
INTEGRATION_TESTS += t/proxy_bad.py
INTEGRATION_TESTS += t/cache.py
EXTRA_DIST += t/backend.py t/apps/tutorial.py
INTEGRATION_TESTS += t/limit_conn.py
