"""End-to-end tests of the ``vab`` command line (and of ``bao`` against our server)."""
