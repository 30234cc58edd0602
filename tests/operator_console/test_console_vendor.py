"""The console's vendored uPlot is the version console_vendor's lock file pins, copied whole."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "console_vendor" / "package-lock.json"
UPLOT = ROOT / "operator_console" / "vendor" / "uplot"


def locked_version() -> str:
    """The version of uPlot in the lock file `make vendor` installs from."""
    lock = json.loads(LOCK.read_text())
    return str(lock["packages"]["node_modules/uplot"]["version"])


def test_the_committed_uplot_is_the_locked_version() -> None:
    """The module's header names the version package-lock.json pins, and package.json agrees."""
    header = (UPLOT / "uPlot.esm.js").read_text()[:400]
    found = re.search(r"\(v(\d+\.\d+\.\d+)\)", header)
    assert found is not None, header
    assert found.group(1) == locked_version()
    wanted = json.loads((ROOT / "console_vendor" / "package.json").read_text())
    assert wanted["dependencies"]["uplot"] == locked_version()


def test_the_committed_files_are_the_ones_make_vendor_copied() -> None:
    """Each file has the checksum `make vendor` wrote, the licence is MIT, nothing else is there."""
    sums = {}
    for line in (UPLOT / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name] = digest
    assert set(sums) == {"uPlot.esm.js", "uPlot.min.css", "LICENSE"}
    for name, digest in sums.items():
        assert hashlib.sha256((UPLOT / name).read_bytes()).hexdigest() == digest, name
    assert {path.name for path in UPLOT.iterdir()} == {*sums, "SHA256SUMS"}
    assert (UPLOT / "LICENSE").read_text().startswith("The MIT License")
    lock = json.loads(LOCK.read_text())
    assert lock["packages"]["node_modules/uplot"]["license"] == "MIT"
