"""Test support code: free ports, server processes, throwaway PostgreSQL clusters.

Only standard-library imports at package level, so that the hvac suite plugin can import
``tests.support`` from inside hvac's own ``tests`` package (see ``tests/hvac_suite``).
"""
