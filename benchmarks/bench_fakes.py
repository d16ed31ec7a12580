"""Speed of the made-up values (issue 9): fresh keys and Faker values.

Every figure is paired with a baseline timed in the same run, since the machine is
shared and absolute times drift:

- ``fresh_ids`` on a million text keys, against the plainest way to make the same
  many unique keys of a fixed pattern: ``rng.choice`` of distinct numbers without
  replacement formatted with an f-string (which knows the pattern in advance and
  does not check the real keys);
- ``fake_values`` (Faker, unweighted, with the pool), against the same number of
  values from a default, weighted ``Faker`` called once per value.

Run: ``.venv/bin/python benchmarks/bench_fakes.py [--rows N]``; prints Markdown.
"""

from __future__ import annotations

import argparse
import time
import uuid
import warnings

import numpy as np

from mixsynth.semantics.fakes import fake_values
from mixsynth.semantics.keys import fresh_ids


def best_of(runs: int, function) -> float:
    """The fastest of ``runs`` timings, in seconds (the least disturbed one)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def objects(values) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="ids to make")
    parser.add_argument("--fakes", type=int, default=20_000, help="Faker values to make")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows, rng = args.rows, np.random.default_rng(20261127)
    warnings.simplefilter("ignore")

    shapes = {
        "ACC-0000000 (prefix, digits)": objects(
            [f"ACC-{n:07d}" for n in rng.choice(10**7, rows, replace=False)]
        ),
        "UUID4": objects([str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(rows)]),
    }

    def floor() -> list[str]:
        return [f"ACC-{n:07d}" for n in rng.choice(10**7, rows, replace=False)]

    print(f"## fresh_ids, {rows:,} new keys ({rows:,} real keys)\n")
    print("| real keys | fresh_ids (s) | floor: choice + f-string (s) | ratio |")
    print("|---|---:|---:|---:|")
    base = best_of(args.runs, floor)
    for label, real in shapes.items():
        took = best_of(args.runs, lambda real=real: fresh_ids(real, rows, rng))
        print(f"| {label} | {took:.2f} | {base:.2f} | {took / base:.2f} |")

    count = args.fakes
    print(f"\n## fake_values, {count:,} values\n")
    print("| subtype | fake_values (s) | floor: weighted Faker per value (s) | ratio |")
    print("|---|---:|---:|---:|")
    from faker import Faker

    for subtype in ("email", "name", "phone_number", "address"):
        fake = Faker("en_US")
        fake.seed_instance(1)
        make = getattr(fake, subtype)
        base = best_of(1, lambda make=make: [make() for _ in range(count)])
        took = best_of(1, lambda subtype=subtype: fake_values(subtype, count, rng))
        print(f"| {subtype} | {took:.2f} | {base:.2f} | {took / base:.2f} |")


if __name__ == "__main__":
    main()
