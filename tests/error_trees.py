"""Error trees: the exception classes a package defines, found by importing all of it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import ModuleType


def exceptions_defined_in(package: ModuleType) -> list[type[Exception]]:
    """Every Exception subclass defined at the top of a module of ``package``, at any depth."""
    found: list[type[Exception]] = []
    for module_info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        if module_info.name.endswith(".__main__"):
            continue  # importing it would run the command
        module = importlib.import_module(module_info.name)
        found += [
            value
            for _, value in inspect.getmembers(module, inspect.isclass)
            if issubclass(value, Exception) and value.__module__ == module.__name__
        ]
    return found
