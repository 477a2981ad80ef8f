"""A form or session server for a browser test: started on a free port, waited for, stopped."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from dwp_assess.collect import server as collect


@contextlib.contextmanager
def serving(
    start: Callable[[int], object], wait_until_ready=collect.wait_until_ready
) -> Iterator[str]:
    """The server ``start(port)`` launches, once it answers; yields its base URL and stops it
    (and everything it started) afterwards."""
    port = collect.free_port()
    process = start(port)
    try:
        wait_until_ready(collect.base_url(port), process)
        yield collect.base_url(port)
    finally:
        collect.stop(process)
