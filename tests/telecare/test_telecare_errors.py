"""The top layer's errors form one tree under TelecareError."""

from __future__ import annotations

from error_trees import exceptions_defined_in

import telecare
from telecare.demo import DemoError
from telecare.demo_register import ForeignDatabaseError
from telecare.demo_services import DemoServiceError
from telecare.errors import TelecareError
from telecare.services import ServiceError


def test_every_error_of_telecare_derives_from_telecare_error() -> None:
    """Every exception class defined in a module of telecare/ is a TelecareError."""
    found = exceptions_defined_in(telecare)
    assert {DemoError, DemoServiceError, ForeignDatabaseError, ServiceError} <= set(found)
    assert [error for error in found if not issubclass(error, TelecareError)] == []
