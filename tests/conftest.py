"""Test-suite wiring: the real services (``services.py``) and the fixtures built on them."""

pytest_plugins = ["services", "fix_hub", "fix_browser", "fix_console"]
