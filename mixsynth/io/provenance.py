"""What a pipeline needs to trust a report: which mixsynth made it, from which files, when."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mixsynth.choices import STDIO


def version() -> str:
    """The installed mixsynth's version (from the package metadata, so never out of date)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("mixsynth")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def input_fingerprint(source: str) -> str | None:
    """SHA-256 of an input file, so that a resume or a report reader can tell it is the same data (stdin: None)."""
    if source == STDIO or not Path(source).is_file():  # a pipe cannot be read twice
        return None
    digest = hashlib.sha256()
    with open(source, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def provenance(inputs: Mapping[str, str], options: Mapping[str, Any]) -> dict:
    """Version, time (UTC, ISO 8601), each input's path and SHA-256 (None for stdin or a
    pipe, which cannot be read twice) and the options."""
    return {
        "mixsynth_version": version(),
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "inputs": {
            role: {"path": path, "sha256": input_fingerprint(path)} for role, path in inputs.items()
        },
        "options": dict(options),
    }
