# Integration tests of the reverse proxy and load balancing.
