"""What the benchmarks share, so that each runs and reports the same way.

- :mod:`~bench.common.output`: progress lines, the failure, the JSON result and its quantiles;
- :mod:`~bench.common.machine`: the machine's CPU use by role and its load;
- :mod:`~bench.common.services`: the broker and the database (private or the environment's),
  a fresh database per run with the schema and the homes, MQTT links to the broker;
- :mod:`~bench.common.hubs`: ``telecare hub`` processes and their settings and metrics;
- :mod:`~bench.common.crew`: child processes started together and stopped in any case.
"""
