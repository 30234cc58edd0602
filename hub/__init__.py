"""The alarm receiving centre's backend: ingest, storage, alarms, API."""

from hub.config import HubSettings

__all__ = ["HubSettings"]
