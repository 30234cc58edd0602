"""The home unit's speakerphone: answers the operator's call by itself, with WebRTC (aiortc).

A social alarm unit never asks the person at home to pick up: someone who has fallen may not
reach the unit. So an offer from the hub (``down/call``) is answered at once, one call at a
time; a second offer during a call is refused as busy. The answer carries all of the unit's
ICE candidates (aiortc gathers them before it returns a description), so the unit trickles
nothing; it does accept candidates trickled by the operator's side.

The unit feeds every call signal to :meth:`~gateway.speakerphone.phone.Speakerphone.handle`
and publishes what comes out of the ``send`` callback on ``up/call``.

- :mod:`~gateway.speakerphone.phone`: the speakerphone, taking signals and keeping the state;
- :mod:`~gateway.speakerphone.call`: one call's peer connection, audio and background tasks;
- :mod:`~gateway.speakerphone.status`: the state and the snapshot the unit reports;
- :mod:`~gateway.speakerphone.settings`: ICE servers and limits, checked when set.
"""
