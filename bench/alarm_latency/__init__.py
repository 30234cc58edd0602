"""How long a panic press takes to reach an operator's console, idle and under homes' traffic.

Run: ``python -m bench.alarm_latency [--homes N] [--seconds S] [--presses P] [--burst]``.

It starts a private Mosquitto and PostgreSQL (or uses ``TELECARE_MQTT_URL`` /
``TELECARE_DATABASE_URL``, as every benchmark does through ``bench.common.services``, on a
fresh database dropped afterwards), registers ``homes`` homes in one district, makes an
operator of that district and starts one ``telecare hub``. A console (an aiohttp session) signs
in and opens ``/api/v1/stream``. Then, twice, ``presses`` panic presses are published over
``seconds`` seconds, each at a random moment of its own slot of ``seconds / presses``, each
from a random home: a one-event ``EventBatch`` (``panic_button``, ``{"active": true}``, a new
event id) on the home's ``up/alarms``, QoS 1, as its home unit would send it. A press is timed
from just before its publish to the arrival on the WebSocket of the alarm announcing it
(``type`` ``alarm``, that home, kind ``panic_button``, state ``raised``). First with nothing
else running (``idle_*``); then with the homes' normal running in the background: the simulator
(:class:`device_sim.simulation.Simulation` with its
:class:`~device_sim.simulation.LoadEmitter`, in a child process, at speed 1) sends every home's
daily routine as it happens, one event per message, every home's heartbeat once a minute at the
home's own phase of the minute, and its thermometer's reading every half hour at the home's own
phase of the half hour (both phases fixed by ``seed`` and the home, spread uniformly over
homes, as units and battery thermometers started at different moments are). With ``--burst``
every home is in step, the harsh case of all units coming back at once after a broker restart:
every heartbeat at the same moment each minute, every thermometer at :00 and :30.

Open alarms: each alarm is cancelled through the API (``POST /api/v1/alarms/{id}/cancel``,
as an operator closes a test press) as soon as the console has seen it, and a press is only
made in a home with no press of its own still waiting to be announced or cancelled. So every
press raises a new alarm (a press in a home whose panic alarm is open would join it, and be
announced as an update), open alarms do not pile up, and none escalates during the run.

Progress goes to standard error; the last line of standard output is one JSON object:

- ``p50_ms``, ``p99_ms``, ``max_ms``: publish to announcement on the console, under the
  background traffic, over the presses announced within ``timeout_s``; ``missing``: presses
  not announced within ``timeout_s`` of their publish (not in the figures); ``over_target``:
  presses slower than the issue's target for the p99, 100 ms. ``idle_p50_ms``,
  ``idle_p99_ms``, ``idle_max_ms``, ``idle_missing``, ``idle_over_target``: the same,
  measured first, before the background was started;
- ``stages_ms`` (``idle_stages_ms``): where that time went, p50 and p99 of each part, from
  the hub's own times (same machine, same clock): ``to_hub`` publish until the hub took the
  message off its MQTT connection (the broker, and the messages ahead of it on the hub's alarm
  subscription: the event's ``received_at``); ``in_hub`` until the writer started the
  transaction raising the alarm (the urgent lane and a pool connection: the time of the
  alarm's ``raised`` entry in ``alarm_log``); ``to_console`` until the console had it
  (storing the event and the alarm, the commit, PostgreSQL's NOTIFY to the hub's listener,
  the WebSocket). ``slowest`` (``idle_slowest``): the ten slowest presses, each with
  ``at_s`` (its publish, in seconds from the phase's start), ``ms`` and its three stages;
- ``background_msgs_per_s``: messages per second the hub received from the background during
  the measured phase (its ``telecare_messages_received_total``, the presses taken out), and
  ``background_per_s_by_channel`` the same by channel; ``heartbeat_rounds``: how many times
  every home's heartbeat was received in that time. With ``--burst`` every home's heartbeat
  comes at the same moment once a minute, so ``seconds`` should be a multiple of 60 for those
  bursts to weigh in the figures as they do in its running; ``last_heartbeat_round``: the
  homes' latest heartbeats (with ``--burst`` the latest round; otherwise spread over the
  minute before the phase ended), in seconds from the phase's start: ``sent_s`` the first
  and last heartbeat's time (built by the simulator), ``taken_in_s`` when the hub took the
  first and last off MQTT (``presence.last_seen``). ``temperature_rounds``: with ``--burst``,
  how many half hours began in the phase (every simulated thermometer then reads at :00 and
  :30, all homes at once: a burst of one event per home); null without it (each home's
  thermometer reads at its own phase); ``background_unacked``: background events the hub had not
  acknowledged when the background was stopped (after the phase's last announcement);
- ``background_start_s``: from starting the background until the hub had every home's
  status (the simulator first works out each home's days, about 0.7 ms per home-day, then
  connects, a connection per thousand homes); ``settle_s``: background running before the
  presses start; ``background_nice``: the background's CPU priority (nice: the homes'
  generator shares the hub's two cores here, and is meant to take what the services leave);
- ``console_heard``: messages the console's stream brought, by type (every home coming
  online is a ``presence`` message); ``console_dropped``: times the hub closed the stream
  as too slow (it is opened again before the next phase); ``cancel_failed``: cancels not
  answered 200;
- ``cpu_percent`` (``idle_cpu_percent``): CPU used during the phase (100 = one core) by the
  hub, the broker (private only), the hub's database backends, the background process, this
  process (presses and console) and the whole machine (``machine_cores`` cores);
- ``hub``: the hub's settings that matter here (``TELECARE_*`` variables pass through);
  ``broker``, ``database``: as in ``bench.ingest``; ``homes``, ``seconds``, ``presses``,
  ``burst``, ``timeout_s``, ``seed``: the run's settings; ``wall_s``: the whole run,
  services included.

The modules: ``__main__`` (the run and its flags), ``phases`` (a phase of presses, the
background started and stopped), ``console`` (the operator's console and the presses),
``background`` (the homes' normal running, a child process), ``figures`` (what a phase
found); the services and the hub are :mod:`bench.common`'s.
"""

from bench.common.output import progress

say = progress("bench.alarm_latency")
"""Progress lines of this benchmark, on standard error."""
