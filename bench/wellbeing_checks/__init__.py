"""How long the wellbeing and device rules take over a large centre, against a plain scan.

Run: ``python -m bench.wellbeing_checks [--homes N] [--rounds R] [--seed S] [--day D]
[--explain-ms MS]``.

It starts a private PostgreSQL (or uses ``TELECARE_DATABASE_URL``, as every benchmark does, on
a fresh database dropped afterwards), migrates it, makes the events partitions around ``day``
and registers ``homes`` homes in one district. Then it gives them the state a centre has at two
moments of ``day`` (a Tuesday by default), local time Europe/Rome: ``night`` at 03:00, when the
night rules can fire, and ``morning`` at 09:30, when late rise can. Every random choice comes
from ``seed``. The rows are written directly (COPY), not through the ingest; only the checks
themselves are the hub's (``refresh_baselines`` in :mod:`hub.storage.wellbeing_checks` and
:data:`hub.loops.alarm_timers.WELLBEING_CHECKS`), called as they are, with the moment as their
``now``:

- every home a ``home_activity`` row, a ``sensor_state`` row for its bed pad, front door and
  thermometer, and five ``devices`` rows from its unit's heartbeat (pendant, bed pad, door,
  thermometer, movement sensor; each heard 0-90 min ago). At night most people went to bed
  between 21:30 and 23:45 (that is their last activity; 30% got up for a few minutes since)
  and the door last opened yesterday in the day; in the morning they got up between 06:00
  and 09:15 and moved within the last 40 min (a quarter went out of the door after getting
  up). A few are the rules' cases: ``still`` (0.8%: nothing since 13-40 h, half of them in
  bed), ``wanders`` (0.4%: out of bed since 50-150 min at 03:00), ``night_door`` (0.3%: the
  door opened 10-200 min before 03:00), ``late`` (0.5%: still in bed at 09:30); a room
  ``cold`` (0.2%: every reading of the last 3 h below 16 °C), ``cooling`` (0.2%: below 16 °C
  for the last 15-40 min only, so the rule reads its history and finds no alarm) or ``hot``
  (0.05%); one device silent for 2-10 days (0.3%); the unit itself gone 3-20 h before 03:00
  (0.2%: an open ``unit_offline`` alarm, and nothing heard since);
- the thermometers' readings in ``events``, every 30 min at each home's own phase, for the
  3 h before each moment (the only events written);
- 10% of homes have saved rules (``home_rules``: a check-in deadline, or one rule's
  settings changed: out of bed after 30 min, inactivity off, a 23:00-07:00 night, the front
  door named);
- a closed alarm per home on average over the last 60 days (``alarms``), which the rules'
  "one alarm per spell" look-ups have to read past;
- four weeks of the hourly rollup (``activity_hourly``: movement in waking hours, bed,
  door, two thermometer readings an hour) for ``history_homes`` homes, 300 per round and
  one more, with no baseline yet, so that every ``refresh_baselines`` call has 300 to
  renew; the other homes get one of 20 baselines computed with
  :func:`hub.alarms.baseline.compute` from those histories, as of the day.

Then, at each moment: every check ``rounds`` times on one connection, each call in a
transaction rolled back afterwards (each round finds the same work, and raises the same
alarms); the whole round as the hub's loop runs it (baselines, then every check in
``WELLBEING_CHECKS``, each on a connection from an autocommit pool), ``rounds`` times,
committed: the first raises the moment's alarms, the others find them open (at night each
also renews 300 baselines, as the loop does in the hours after local midnight); and the
reference, the plain scan of the tables the round reads. Between the moments operators
close the night's alarms (claim, resolve, through :mod:`hub.storage.alarm_changes`), the
``unit_offline`` ones excepted, and the morning state replaces the night's; the baselines
still due are renewed before the morning's timings, as the loop would have by then, so in
the morning ``refresh_baselines`` is its selection query alone.

Progress goes to standard error; the last line of standard output is one JSON object:

- ``night``, ``morning``: each moment's figures: ``now``; ``checks``, for ``baselines`` and
  each check, ``p50_ms`` and ``max_ms`` over the rounds, ``python_ms`` (this process's CPU
  time in the call, p50: pydantic, the pure rules, :func:`~hub.alarms.baseline.compute`;
  the rest is the database and the round trips) and ``renewed`` (baselines) or ``raised``
  (alarms per call); ``round``: the loop's round, ``first_ms`` (the one raising the
  alarms), ``p50_ms`` and ``max_ms`` over the others, ``raised`` by kind in the first;
  ``scan_ms``: p50 of one plain pass over ``home_activity`` joined to ``home_rules`` and
  ``home_baselines``, over ``sensor_state`` and over ``devices`` joined to ``home_rules``
  (``scan_parts_ms``, each); ``ratio``: round p50 / scan_ms; ``rules_ms``: the rule checks'
  p50s added up (the baselines left out) and ``rules_ratio``: rules_ms / scan_ms;
  ``loop_share``: round p50 and ``loop_share_first``: first round, as a share of the loop's
  30 s period;
- ``round_ms``, ``first_round_ms``, ``scan_ms``, ``ratio``, ``loop_share``: the slower
  moment's (by round p50);
- ``explained``: with ``--explain-ms``, each check's statements slower than that, in ms,
  from one more rolled-back call per check at each moment under ``auto_explain`` (its plans,
  with ANALYZE and buffers, go to standard error; needs a superuser, as the private server
  gives);
- ``rows``: the tables' sizes; ``homes``, ``history_homes``, ``rounds``, ``seed``, ``day``:
  the run's settings; ``database``: the server's kind (``private``, ``pgserver``,
  ``external``), version and the settings that matter; ``load``: ``/proc/loadavg`` at the
  start and the end, the machine's CPU use during the timings (100 = one core) and its
  cores (the machine may be shared); ``wall_s``: the whole run, services included.

The modules: ``__main__`` (the run and its flags, the two moments), ``people`` (the homes and
their rows at a moment), ``history`` (saved rules, past alarms, the hourly rollup),
``loading`` (the rows into the tables), ``timing`` (the checks, the round and the scan
timed); the database server is :mod:`bench.common`'s.
"""

from bench.common.output import progress

say = progress("bench.wellbeing_checks")
"""Progress lines of this benchmark, on standard error."""
