"""How much one noisy home hurts another: panic presses timed beside a flood from one home.

Run: ``python -m bench.flood [--flood N] [--presses P] [--quiet-homes Q] [--seed S]``.

It starts a private Mosquitto and PostgreSQL (or uses ``TELECARE_MQTT_URL`` /
``TELECARE_DATABASE_URL``, as every benchmark does through ``bench.common.services``, on a
fresh database dropped afterwards), registers ``quiet_homes`` quiet homes and the home
``flood-registered``, and starts one ``telecare hub`` with its default settings (``TELECARE_*``
variables pass through). A link of the benchmark's own subscribes to every home's
``down/acks``. In each phase ``presses`` panic presses are published ``press_spacing_ms``
apart, each from a quiet home chosen at random (``seed``): a one-event ``EventBatch``
(``panic_button``, ``{"active": true}``, a new event id) on the home's ``up/alarms``, QoS 1,
as its unit sends it. A press is timed from just before its publish to the arrival of the ack
(``down/acks``) whose ``committed`` names its event id.

The phases, in this order:

- ``idle``: the presses alone;
- ``flood_unregistered``: a child process with its own MQTT connection publishes ``flood``
  messages QoS 1 as fast as the broker takes them (at most 1,000 unacknowledged), each a
  valid one-event motion batch on ``up/events`` of ``flood-home``, a home id that is not
  registered (the hub refuses each as ``unregistered_home``, sends no ack); the presses are
  made from the moment the flood is let go (its payloads are built before);
- ``flood_registered``: the same from ``flood-registered``, which is registered: past its
  burst (``hub.home_burst``) and rate (``hub.home_rate_per_s``) the hub refuses its messages
  as ``rate_limited`` and does not ack them; the rest are stored and acked.

After its presses (and, in a flood phase, the flood's drain), a phase waits until what the hub
took in is written (``settle_s``) before its tables and counters are read again.

Progress goes to standard error; the last line of standard output is one JSON object:

- ``phases``: ``idle``, ``flood_unregistered`` and ``flood_registered``, each with:

  - ``p50_ms``, ``p99_ms``, ``max_ms``: publish to ack of the presses acked within
    ``timeout_s`` (null when fewer than two); ``presses``: presses made; ``missing``: those
    not acked within ``timeout_s`` of their publish (not in the figures); ``over_target``:
    presses slower than ``target_p99_ms``;
  - ``hub_peak_rss_mb``: the hub process's highest resident memory (its children included),
    sampled every 50 ms from the phase's start until it settled;
  - ``dead_letters_rows``, ``dead_letters_bytes``: growth of ``dead_letters``' rows and of
    ``pg_total_relation_size('dead_letters')`` (table, indexes, TOAST) over the phase (the
    hub keeps ``hub.dead_letters_per_minute`` of each home and reason per wall-clock minute,
    so a flood across a minute's turn keeps twice that);
    ``dead_letter_counts``: growth of the sum of ``dead_letter_counts.messages`` (refused
    messages beyond their home's sample of ``hub.dead_letters_per_minute`` a minute, only
    counted there; null when the hub's schema has no such table);
  - ``messages_rejected``, ``messages_rejected_unkept``: growth of the hub's
    ``telecare_messages_rejected_total`` (every refused message) and
    ``telecare_messages_rejected_unkept_total`` (those only counted), by reason (reasons
    that did not grow left out); ``events_stored``: growth of
    ``telecare_events_stored_total`` (events newly stored: the presses, and in
    ``flood_registered`` the flood's messages the hub accepted);
  - ``hub_log_lines``: lines written to the hub's log file (JSON, level warning) in the
    phase, from its start until it settled: the refusals kept (``message_rejected``), one
    ``messages_rejected_unlogged`` line per home, reason and count stored, and one
    ``alarm_raised`` per press that raised a new alarm (a quiet home's first press; its later
    presses join that open alarm, which is never closed in the run);
  - ``settle_s``: from the end of the presses (and drain) until the rows in ``dead_letters``
    equal the hub's kept refusals (rejected less unkept, since it started on an empty
    database), ``dead_letter_counts`` sums its unkept ones, and every event it accepted is
    stored; null when that did not happen within 15 s (the figures are then read anyway);
  - ``seconds``: the phase, from its first press (and the flood's start) until it settled;
  - ``cpu_percent``: CPU used in the phase (100 = one core) by the hub, the broker (private
    only), the hub's database backends, the flood's process (``flooder``), this process
    (``bench``: the presses, the acks, the polling) and the whole machine
    (``machine_cores`` cores);

  and in the two flood phases:

  - ``flood_messages``: messages the flood published (``flood``); ``flood_publish_s``: from
    its first publish until the broker had acknowledged (PUBACK) the last;
  - ``drain_s``: from the flood's first publish until the hub had taken it all off MQTT: its
    ``telecare_messages_received_total`` summed over channels, ``up/alarms`` (the presses')
    left out, has grown by ``flood``, or its ``telecare_messages_rejected_total`` has
    (polled every 20 ms on ``/metrics``); the hub may still be writing what it accepted;
  - ``presses_in_flood``: presses published before the drain ended (the others met a hub
    already past the flood);

- ``target_p99_ms``: the issue's target for a press's p99, whatever another home sends;
- ``flood``, ``presses``, ``quiet_homes``, ``press_spacing_ms``, ``timeout_s``, ``seed``: the
  run's settings; ``flood_homes``: the flooding home of each flood phase;
- ``hub``: the hub's settings that matter here (``bench.common.hubs``' and
  ``home_rate_per_s``, ``home_burst``, ``dead_letters_per_minute``); ``broker``,
  ``database``: as in ``bench.ingest``;
- ``cpu_percent``: as the phases', over the three phases together (each flood process with
  the CPU it used in its phase);
- ``wall_s``: the whole run, services included.

The modules: ``__main__`` (the run and its flags), ``phases`` (a phase, its drain and its
settling), ``presses`` (the quiet homes' presses and their acks), ``flooder`` (the noisy home,
a child process), ``hub_side`` (the hub's counters, dead-letter tables, log and memory); the
services and the hub are :mod:`bench.common`'s.
"""

from bench.common.output import progress

say = progress("bench.flood")
"""Progress lines of this benchmark, on standard error."""
