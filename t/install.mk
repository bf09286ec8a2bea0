# Tests of make install, the init script and the installed layout.
