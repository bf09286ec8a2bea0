# Integration tests of the process model, the command line, signals,
# configuration loading and logs.
