"""The hub's exceptions form one tree under HubError, so one clause can tell the hub's own apart."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import hub
from hub.errors import HubError


def test_every_exception_of_the_hub_is_a_hub_error() -> None:
    """Each Exception subclass a hub module defines derives from HubError."""
    checked, wrong = [], []
    for info in pkgutil.walk_packages(hub.__path__, "hub."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != info.name or not issubclass(cls, Exception):
                continue
            checked.append(f"{info.name}.{cls.__qualname__}")
            if not issubclass(cls, HubError):
                wrong.append(checked[-1])
    # the walk reached the subpackages, the API's included
    assert {"hub.ingest.lanes.LanesClosedError", "hub.api.access.ApiError"} <= set(checked)
    assert wrong == []
