"""SIGKILL crash test of the gateway's delivery promise: kill ``gateway sync`` anywhere, recover,
and check that no record is lost or attached twice (``crash_test.py`` runs it from the shell)."""
