"""How fast the hub takes events from MQTT into PostgreSQL, against the broker's and COPY's limits.

Run: ``python -m bench.ingest [--seconds S] [--homes N] [--publishers P] [--replicas R]``.
Progress goes to standard error; the last line of standard output is one JSON object:

- ``events_per_s``: events committed in the ``events`` table per second, one event per MQTT
  message (as homes send them in normal running), from the first publish until
  ``SELECT count(*) FROM events`` reaches ``events_total``. ``publishers`` processes publish
  pre-encoded payloads for ``homes`` home topics as fast as they can (QoS 1, at most
  ``window`` unacknowledged each) to ``replicas`` hub processes in one MQTT share group;
  ``events_total`` is about ``seconds`` worth, from a warm-up run of ``warmup_events``
  (whose rate is ``warmup_events_per_s``). ``publish_s`` is how long the publishers took to
  hand every event to the broker, ``ingest_s`` how long until the last one was committed;
- ``messages_per_s``: MQTT messages the hubs received on ``up/events`` in that time, from
  their ``telecare_messages_received_total`` counters (summed over replicas); from the same
  phase and the hubs' metrics, ``mean_batch_events`` (events per database write),
  ``acks_per_event`` (receipt messages published per event stored) and ``flush_share``
  (seconds the writers spent storing batches, per second of the phase: how busy the database
  side of the hubs kept, above 1 with writers in parallel);
- ``ack_p50_ms``, ``ack_p99_ms``: publish to receipt (``down/acks`` naming the event) as seen
  by the publisher, with the publishers paced together at half of ``events_per_s``
  (``paced_per_s``, the rate achieved) for ``seconds``; ``acks_received`` events were acked,
  ``acks_missing`` were not within ``ack_grace_s`` of the last publish,
  ``acks_duplicate`` were acked more than once;
- ``broker_limit_per_s``: messages per second the broker delivered to one plain subscriber
  (QoS 1, ``receive_maximum`` like the hub's, acknowledging on arrival) while the same
  publishers published as fast as they could for ``seconds``, before any hub was started;
- ``copy_limit_per_s``: rows per second psycopg's COPY (``write_row``) puts straight into
  ``events`` in transactions of ``copy_chunk_rows`` rows (building the rows is not timed);
- ``ratio`` = events_per_s / min(broker_limit_per_s, copy_limit_per_s);
- ``naive_events_per_s``: rows per second stored with one INSERT (and so one commit) each
  on an autocommit connection, for at most 5 seconds;
- ``hub``: the hub settings that matter here (set them with the flags or ``TELECARE_*``
  variables, which are passed through to the hubs);
- ``broker``: its kind (``mosquitto``: private, with the settings listed; ``external``:
  ``TELECARE_MQTT_URL``); ``database``: the server's kind (``private``, ``pgserver`` or
  ``external``: ``TELECARE_DATABASE_URL``); each run makes a fresh database on it and drops it;
- ``cpu_percent``: CPU used during the ``events_per_s`` phase (100 = one core) by the hubs,
  the broker (private only), the hubs' database backends, the publishers, and the whole
  machine (``machine_cores`` cores); ``dead_letters``: messages the hubs refused (should be 0);
- ``wall_s``: the whole run, services included.

The publishers and the plain subscriber are :class:`runtime.mqtt_link.MqttLink` connections
(MQTT 5 over the compiled ``mqtt5`` codec), one per process, each on its own event loop: a
few microseconds of Python per message, so that the load generator is not what limits the
figures.

The modules: ``__main__`` (the run and its flags), ``phases`` (each phase of the run),
``publishers`` (the child processes that publish or count), ``links`` (their MQTT side),
``database`` (COPY, INSERT and the rows counted); the services and the hubs are
:mod:`bench.common`'s.
"""

from bench.common.output import progress

say = progress("bench.ingest")
"""Progress lines of this benchmark, on standard error."""
