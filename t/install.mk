# Tests of make install, the init script and the installed layout.
INTEGRATION_TESTS += t/install.py
