"""What the command-line tests share: the ``cli`` fixture lives in tests/conftest.py (the certify tests use it too)."""
