"""How long a voice call from the console takes to carry audio both ways, against aiortc alone.

Run: ``python -m bench.call_setup [--calls N]``.

It starts a private Mosquitto and PostgreSQL (or uses ``TELECARE_MQTT_URL`` /
``TELECARE_DATABASE_URL``, as every benchmark does through ``bench.common.services``, on a
fresh database dropped afterwards; an external broker must let in the hub's user and the
home's, with ``TELECARE_MQTT_PASSWORD`` if it wants one), migrates, registers one home with a
resident and makes an operator of its district. The hub runs in this process
(``hub.app.create_app`` on an aiohttp ``AppRunner``, as the tests' hub does), and so does the
home's real unit (:class:`gateway.unit.HomeUnit`, its speakerphone sending a 1 kHz tone at -15
dBFS RMS and answering by itself). Debian's Chromium, headless and driven by Playwright, loads
the console from the hub and signs in (Italian, the default), with Chromium's fake devices: the
operator's microphone is a 440 Hz tone at -9 dBFS RMS, a WAV file written for the run and
looped (``--use-file-for-fake-audio-capture``), so audio is there from the first moment.
Chromium's own fake microphone beeps 20 ms every half second, the first beep half a second
after capture starts: with it the unit first heard the operator about 640 ms after the click in
every call, the wait for that beep, not the call.

The calls are placed from an alarm, the emergency case: the unit reports a panic press, the
operator opens its row in the queue and claims it ("Prendi in carico"), then, ``calls`` times,
presses "Chiama la casa" on the alarm's panel, waits for audio both ways, presses "Riaggancia",
waits until the unit's call and the console's have ended, the call button is enabled again and
``pause_s`` more, and goes on. A call is timed with ``time.perf_counter`` from just before the
click (the pointer already resting on the button, the click is the mouse button pressed and
released) until audio flows both ways, polled every 10 ms: the page's
``window.telecareCall.getStats()`` for this call shows ``bytesReceived`` grown since the call's
first sample with ``remoteLevel`` (the console's meter of the home, RMS x 4 of its last 21 ms,
refreshed every 100 ms) above 0.01, and the unit's ``speakerphone.status`` for this call shows
``received.frames`` > 0 with ``received.level_dbfs`` above -40 dBFS (its RMS over the last half
second). Each side is taken as heard from the first poll that saw it; the call, when both were.
Before the measured calls one warm-up call of each kind is made and left out of the figures.

The physical reference, in the same run: the same set-up between two aiortc peers on
loopback with no hub, broker or browser: an operator peer (440 Hz tone, no ICE servers) makes
its offer (aiortc gathers its candidates into it), a speakerphone of its own (the unit's code,
1 kHz tone) is handed the offer in memory and answers, the answer goes straight back, and the
same 10 ms polling waits for both ends to hear the other above -40 dBFS. One reference call is
made after each console call (interleaved, so that both see the same load from the machine's
other users), timed from just before the operator creates its offer.

Progress goes to standard error; the last line of standard output is one JSON object:

- ``benchmark``: ``call_setup``;
- ``calls``: console calls measured (not counting the warm-up); ``failed``: of those, calls
  in which audio did not flow both ways within ``timeout_s`` (left out of the figures);
- ``p50_ms``, ``p95_ms``, ``max_ms``, ``min_ms``: the click to audio both ways, over the calls
  that made it; ``calls_ms``: every call's time in order (null for a failed one);
  ``target_p50_ms``: the issue's figure to reach on loopback (1000), ``meets_target`` whether
  ``p50_ms`` reaches it;
- ``stages_ms``: p50 and p95 of when each step was seen, in ms from the click (so each includes
  the ones before it): ``clicked`` the mouse button's press and release were dispatched
  (Playwright's round trips to the browser); ``offer_sent`` the console sent ``call.start`` on
  its stream socket (it has asked for the microphone, fetched ``/api/v1/webrtc``, made its offer
  and waited for its ICE gathering, at most 2 s); ``placed`` it received ``call.placed``;
  ``unit_offered`` the unit's speakerphone took the offer (state ``answering``: the hub, the
  broker and the unit's MQTT connection); ``answer`` the console received ``call.answer``
  (aiortc made the unit's answer, gathering its candidates, then back over MQTT and the hub);
  ``unit_connected`` the unit's speakerphone connected (ICE and DTLS done on its side);
  ``ice_connected`` the page's ``telecareCall.state`` said ``connected`` (the browser's
  connection state, polled); ``unit_hears`` and ``console_hears`` each side heard the other as
  above; ``both_hear`` the later of the two, the call's time. The socket's frames are seen
  through Playwright's WebSocket events and the unit's states through its speakerphone, both
  timed on arrival in this process;
- ``limit_p50_ms``, ``limit_p95_ms``, ``limit_max_ms``, ``limit_failed``: the same figure for
  the reference calls; ``limit_stages_ms``: ``offer_made`` (the operator's offer, its
  gathering done), ``answer`` (the speakerphone's answer back), ``connected`` (the operator's
  connection state), ``unit_hears``, ``operator_hears``, ``both_hear``; ``ratio_p50`` =
  p50_ms / limit_p50_ms: how many times the physical set-up time the operator waits;
- ``warmup_ms``, ``limit_warmup_ms``: the two warm-up calls (first call of a fresh browser
  and a fresh aiortc, not in the figures);
- ``cpu_percent``: CPU used while the calls were made (100 = one core) by this process (the
  hub, the unit, the reference peers and Playwright's client), the browser (Chromium's
  processes), Playwright's driver, the broker (private only), the hub's database backends and
  the whole machine (``machine_cores`` cores); ``loadavg``: ``/proc/loadavg``'s 1, 5 and 15
  minute figures before and after the calls (the machine is shared);
- ``browser``: Chromium's version; ``timeout_s``, ``pause_s``, ``poll_ms``: the run's
  settings; ``broker``, ``database``: as in ``bench.ingest``; ``wall_s``: the whole run,
  services and browser included.

The modules: ``__main__`` (the run and its flags, the calls interleaved), ``console`` (the
console in Chromium calling the real unit), ``reference`` (the two aiortc peers), ``system``
(the hub and the home's unit in this process), ``timing`` (a call's steps and the figures);
the services are :mod:`bench.common`'s.
"""

from bench.common.output import progress

say = progress("bench.call_setup")
"""Progress lines of this benchmark, on standard error."""
