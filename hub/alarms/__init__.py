"""The alarm engine: rules that turn events into alarms, and the alarm lifecycle."""
