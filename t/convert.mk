# portico-convert: the nginx tutorial's configurations converted and served.
INTEGRATION_TESTS += t/convert.py
