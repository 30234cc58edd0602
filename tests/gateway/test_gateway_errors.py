"""The home unit's errors form one tree under GatewayError."""

from __future__ import annotations

from error_trees import exceptions_defined_in

import gateway
from gateway.adapters.zigbee2mqtt import RejectedMessageError
from gateway.audio import AudioSourceError
from gateway.errors import GatewayError
from gateway.speakerphone.settings import SpeakerphoneConfigError


def test_every_error_of_the_gateway_derives_from_gateway_error() -> None:
    """Every exception class defined in a module of gateway/ is a GatewayError."""
    found = exceptions_defined_in(gateway)
    assert {AudioSourceError, RejectedMessageError, SpeakerphoneConfigError} <= set(found)
    assert [error for error in found if not issubclass(error, GatewayError)] == []


def test_errors_caught_as_value_errors_still_are() -> None:
    """Callers catch a bad setting or a refused device message as ValueError."""
    assert issubclass(SpeakerphoneConfigError, ValueError)
    assert issubclass(RejectedMessageError, ValueError)
