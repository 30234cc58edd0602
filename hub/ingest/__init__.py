"""Ingest: MQTT messages from homes into PostgreSQL, exactly once, with receipts."""
