"""Prometheus metrics of one hub, in a registry of its own (two hubs can share a process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class HubMetrics:
    """Every metric the hub exports on ``/metrics``."""

    def __init__(self) -> None:
        """Make the metrics in a new registry."""
        self.registry = CollectorRegistry()
        r = self.registry
        self.messages_received = Counter(
            "telecare_messages_received",
            "MQTT messages received, by channel",
            ["channel"],
            registry=r,
        )
        self.events_received = Counter(
            "telecare_events_received", "Events received in valid batches", registry=r
        )
        self.events_stored = Counter(
            "telecare_events_stored", "Events newly stored (not already there)", registry=r
        )
        self.events_duplicate = Counter(
            "telecare_events_duplicate", "Events received again and absorbed", registry=r
        )
        self.rejected = Counter(
            "telecare_messages_rejected",
            "Messages refused, by reason (kept as dead letters or only counted)",
            ["reason"],
            registry=r,
        )
        self.rejected_unkept = Counter(
            "telecare_messages_rejected_unkept",
            "Refused messages beyond their home's sample: counted in dead_letter_counts only",
            ["reason"],
            registry=r,
        )
        self.batch_events = Histogram(
            "telecare_batch_events",
            "Events per database write",
            buckets=(1, 5, 20, 50, 100, 200, 500, 1000, 2000, 5000),
            registry=r,
        )
        self.flush_seconds = Histogram(
            "telecare_flush_seconds",
            "Time to store a batch of events, from first try to commit",
            ["lane"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=r,
        )
        self.queue_events = Gauge(
            "telecare_queue_events", "Events waiting to be written, by lane", ["lane"], registry=r
        )
        self.acks_sent = Counter("telecare_acks_sent", "Ack messages published", registry=r)
        self.acks_failed = Counter(
            "telecare_acks_failed", "Ack messages that could not be published", registry=r
        )
        self.events_refused = Counter(
            "telecare_events_refused",
            "Events a unit was told are refused for good, by reason",
            ["reason"],
            registry=r,
        )
        self.store_retries = Counter(
            "telecare_store_retries", "Database writes retried after a transient error", registry=r
        )
        self.presence_updates = Counter(
            "telecare_presence_updates", "Heartbeats and status changes stored", registry=r
        )
        self.mqtt_connected = Gauge(
            "telecare_mqtt_connected",
            "1 while the hub holds this broker connection (telemetry, alarms)",
            ["connection"],
            registry=r,
        )
        self.mqtt_reconnects = Counter(
            "telecare_mqtt_reconnects",
            "Broker connections lost and retried (telemetry, alarms)",
            ["connection"],
            registry=r,
        )
