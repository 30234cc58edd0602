"""The social workers' side at a centre's scale: a person's page, a district's month, the night.

Run: ``python -m bench.dashboards [--homes N] [--days D] [--raw-days R] [--district-homes K]
[--page-homes P] [--year-pages Y] [--processes W] [--chunk C] [--seed S] [--quality-homes Q]``.

It starts a private PostgreSQL and Mosquitto (or uses ``TELECARE_DATABASE_URL`` and
``TELECARE_MQTT_URL``, as every benchmark does, on a fresh database dropped afterwards) and
builds a centre's history itself, from the simulator's people (:mod:`device_sim`), ending at
the last whole hour: ``homes`` homes registered in districts of ``district_homes``
(``ats-01``, ...), each a simulated person living in Europe/Rome, with ``days`` local days of
history up to yesterday:

- the older days (all but the last ``raw_days``), made in ``processes`` worker processes
  (:mod:`~bench.dashboards.history`, written with COPY by :mod:`~bench.dashboards.loading`):
  each home-day's readings from the simulator through the hub's own pure
  :func:`hub.indicators.daily.compute` into ``daily_indicators``, the readings counted into
  ``activity_hourly``; the home's resident, its alarms with their timelines and its
  well-being calls from :mod:`~bench.dashboards.service` (the demo's centre: rates, answer
  times and outcomes are stated there);
- the last ``raw_days`` (and two days before them, so their first night is whole) as raw
  events written by :func:`device_sim.backfill.backfill_span`, the hub's storage path, and
  their days worked out by the nightly run's own :func:`hub.loops.indicators.backfill`,
  yesterday excepted (:mod:`~bench.dashboards.raw`);
- the review list's nights from the first day of the report's month to the day before
  yesterday, every home reviewed by :func:`hub.review.nightly.review_homes`
  (:mod:`~bench.dashboards.reviews`).

Then it measures:

- ``nightly_s``: the nightly run at 02:30 today, yesterday worked out for every home
  (:func:`hub.loops.indicators.work_out`) and every home reviewed on it, and
  ``nightly_ms_per_home``; beside it, reading the same events out of the database with nothing
  done to them (:mod:`~bench.dashboards.nightly`);
- the homes' raw events are then brought up to the minute (so the hub's wellbeing rules find
  them living), and through a ``telecare hub`` process of this checkout, signed in as a social
  worker of every district, one request at a time (:mod:`~bench.dashboards.pages`):
  ``page_homes`` homes' 12-week pages (``person_page_p95_ms``: their p95) after ten to warm up,
  ``year_pages`` homes' year pages (``person_page_year_ms``: their p95), and each district's
  figures and PDF report for the last whole month of the history (``district_month_ms``,
  ``report_pdf_ms``: the slowest district's); beside them, ``GET /healthz`` (the HTTP floor)
  and the same rows read alone on a connection of our own (the database's floor), and the
  12-week page's rows read by primary key from the whole table and from a table of the sampled
  homes alone (what the other homes' rows cost a page);
- after the services are stopped, the review's quality (``recall``,
  ``false_positives_per_1000_person_weeks``, ``quality_seed``) from
  :func:`bench.dashboards.quality.measure_quality` over ``quality_homes`` simulated homes.

Progress goes to standard error; the last line of standard output is one JSON object: the
figures above; ``scale`` (the run's settings); ``build_s`` (the history's making, services and
the COPY limits left out) and ``build``: ``stages_s`` (each stage's wall time), ``history``
(its days, rows per table, CPU per home-day in the simulator, in ``compute`` and in all, wall
time per home-day, COPY's rate), ``copy_limit_rows_per_s`` (plain COPY of the same rows into a
scratch copy of the largest tables: the machine's limit for the writes), ``raw`` (events
written, their rate, wall time per home-day, and of the raw days' indicators),
``review_nights`` (the nights reviewed, entries opened, wall time per home and night), ``tables``
(rows, as ANALYZE estimates them, and size), ``database`` (server version, settings and size);
``estimate``: the build at the issue's scale (10,000 homes, a year, 30 raw days) from this
run's rates per home-day; ``nightly`` and ``reads``: each figure in detail with its floor and
ratio; ``top_up``: the events brought up to the minute; ``quality``: the quality run's
figures in full; ``load``: the load average at the start and the end, and the cores; ``wall_s``.

The modules: ``__main__`` (the run, its flags and the JSON), ``service``, ``history``,
``loading``, ``limits``, ``raw``, ``reviews``, ``nightly``, ``pages``, ``quality``.
"""

from bench.common.output import progress

say = progress("bench.dashboards")
"""Progress lines of this benchmark, on standard error."""
