# Integration tests of the reverse proxy and load balancing.
INTEGRATION_TESTS += t/proxy_basic.py
