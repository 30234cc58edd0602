"""Test-suite wiring: the fixtures that start real services live in ``fix_*.py`` plugins."""

pytest_plugins = ["fix_mqtt", "fix_postgres", "fix_hub", "fix_browser", "fix_console"]
