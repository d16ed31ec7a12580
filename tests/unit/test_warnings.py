"""mixsynth's warnings: collected per task on worker threads, the process's own untouched.

A Dask worker thread used to wrap its task in ``warnings.catch_warnings``, which saves
and restores process-wide state: two tasks on two threads, entering and leaving out of
order, left one task's filters or hooks in place, and the CLI's warnings (recorded on
the main thread) never reached stderr.
"""

from __future__ import annotations

import threading
import warnings

from mixsynth.errors import MixsynthWarning, collected_warnings, warn


def test_a_mixsynth_warning_outside_a_collector() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MixsynthWarning)
        warn("said")
    assert [(w.category, str(w.message)) for w in caught] == [(MixsynthWarning, "said")]
    assert caught[0].filename == __file__  # stacklevel counts from the caller


def test_tasks_on_threads_keep_their_own_warnings_out_of_order() -> None:
    """Task A starts, B starts, A ends, B ends (the order that broke catch_warnings);
    each keeps its own lines, none reaches the main thread's record, whose own warning
    after the tasks is still recorded."""
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    kept: dict[str, list[str]] = {}

    def task_a() -> None:
        with collected_warnings() as lines:
            a_in.set()
            b_in.wait(5)
            warn("from a")
        kept["a"] = list(lines)
        a_out.set()

    def task_b() -> None:
        a_in.wait(5)
        with collected_warnings() as lines:
            b_in.set()
            a_out.wait(5)
            warn("from b")
        kept["b"] = list(lines)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MixsynthWarning)
        filters = list(warnings.filters)
        threads = [threading.Thread(target=task_a), threading.Thread(target=task_b)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert warnings.filters == filters
        warn("from the driver")
    assert kept == {"a": ["from a"], "b": ["from b"]}
    assert [str(w.message) for w in caught] == ["from the driver"]


def test_collectors_nest_and_end() -> None:
    with collected_warnings() as outer:
        warn("one")
        with collected_warnings() as inner:
            warn("two")
        warn("three")
    assert (outer, inner) == (["one", "three"], ["two"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MixsynthWarning)
        warn("after")
    assert [str(w.message) for w in caught] == ["after"]
