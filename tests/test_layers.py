"""The code's layers point one way: nothing imports a package above it (docs/architecture.md).

The imports are read from the source, not run, so a new import that breaks the layering
fails here before anyone has to notice it in a review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

LAYERS: dict[str, int] = {
    "protocol": 0,
    "runtime": 1,
    "hub": 2,
    "gateway": 2,
    "device_sim": 3,
    "telecare": 4,
}
"""Each package's floor: a package imports only packages on a lower floor, and its own."""

ALLOWED_ACROSS = {("device_sim", "hub.storage")}
"""The one reach sideways-and-down: the simulator's backfill writes with the hub's storage."""

PURE = {
    "hub.alarms": {"psycopg", "psycopg_pool", "aiohttp", "aiomqtt", "mqtt5", "hub.storage"},
    "hub.indicators": {"psycopg", "psycopg_pool", "aiohttp", "aiomqtt", "mqtt5", "hub.storage"},
    # The review's method; its nightly step (hub/review/nightly.py) is the one that reads.
    "hub.review.method": {"psycopg", "psycopg_pool", "aiohttp", "aiomqtt", "mqtt5", "hub.storage"},
    "hub.review.followup": {
        "psycopg",
        "psycopg_pool",
        "aiohttp",
        "aiomqtt",
        "mqtt5",
        "hub.storage",
    },
    "hub.review.settings": {
        "psycopg",
        "psycopg_pool",
        "aiohttp",
        "aiomqtt",
        "mqtt5",
        "hub.storage",
    },
    "protocol": {"psycopg", "psycopg_pool", "aiohttp", "aiomqtt", "mqtt5"},
}
"""Packages (or modules) of pure logic, tested without I/O, and what they must never import."""


def _modules(package: str) -> list[Path]:
    module = ROOT / f"{package}.py"
    return [module] if module.exists() else sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth (also under ``TYPE_CHECKING``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(f"{prefix}.")


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_no_package_imports_one_above_it_or_beside_it(package: str) -> None:
    """Each of the package's modules imports only lower floors (and the one allowed reach)."""
    floor = LAYERS[package]
    wrong = []
    for path in _modules(package):
        for name in _imports(path):
            top = name.split(".")[0]
            if top not in LAYERS or top == package or LAYERS[top] < floor:
                continue
            if any(p == package and _within(name, m) for p, m in ALLOWED_ACROSS):
                continue
            wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert wrong == []


@pytest.mark.parametrize("package", sorted(PURE))
def test_pure_packages_do_no_io(package: str) -> None:
    """Rules, state machines and the wire contract import no database, network or broker."""
    banned = PURE[package]
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _modules(package.replace(".", "/"))
        for name in _imports(path)
        if any(_within(name, b) for b in banned)
    ]
    assert wrong == []


def test_every_package_has_a_floor() -> None:
    """A new top-level package is given its place in the layers before it is used."""
    packages = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in {"bench", "tests"}
    }
    assert packages == set(LAYERS)
