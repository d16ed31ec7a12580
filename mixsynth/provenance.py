"""What a pipeline needs to trust a report: which mixsynth made it, from which files, when."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any


def version() -> str:
    """The installed mixsynth's version (from the package metadata, so never out of date)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("mixsynth")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def provenance(inputs: Mapping[str, str], options: Mapping[str, Any]) -> dict:
    """Version, time (UTC, ISO 8601), each input's path and SHA-256 (None for stdin or a
    pipe, which cannot be read twice) and the options."""
    from mixsynth.pipeline import input_fingerprint

    return {
        "mixsynth_version": version(),
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "inputs": {
            role: {"path": path, "sha256": input_fingerprint(path)} for role, path in inputs.items()
        },
        "options": dict(options),
    }
