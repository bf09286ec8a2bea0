# Integration tests of the process model, the command line, signals,
# configuration loading and logs.
INTEGRATION_TESTS += t/cli.py
INTEGRATION_TESTS += t/diagnostics.py
INTEGRATION_TESTS += t/defaults.py
INTEGRATION_TESTS += t/demo.py
INTEGRATION_TESTS += t/process.py
INTEGRATION_TESTS += t/signals.py
INTEGRATION_TESTS += t/logs.py
INTEGRATION_TESTS += t/log_forge.py
INTEGRATION_TESTS += t/reload.py
INTEGRATION_TESTS += t/reload_load.py
INTEGRATION_TESTS += t/layers.py
INTEGRATION_TESTS += t/keeper.py
