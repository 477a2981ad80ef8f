"""The form server's HTTP serving on a real network: connections, logs, stopping.

What ``web.py``'s pages and API run on, and why each piece is there (issue 25, measured
before: 1,100 idle connections at the usual limit of 1,024 open files made Tornado's accept
loop spin on ``EMFILE``, 15.6 CPU-seconds in 10 s and 2.4 million log lines, while
respondents timed out):

- ``GuardedServer``: at most ``connection_cap()`` connections, well below the process's
  open-file limit; at the cap a new connection replaces the one idle longest (an idle or
  slow client cannot lock respondents out), and when the process is out of files anyway
  accepting pauses briefly instead of spinning. Idle connections and slow headers or bodies
  are closed after ``IDLE_SECONDS`` / ``BODY_SECONDS`` (Tornado's timeouts).
- ``RateLimit``: at most ``LOG_BURST`` log records per ``LOG_WINDOW`` seconds per logger;
  what it drops is counted and said in one line afterwards, so no client can fill the disk.
- ``Drain``: SIGTERM, SIGINT and SIGHUP stop accepting, let the requests in flight (sends
  being stored) finish for up to ``DRAIN_SECONDS``, then stop.
- ``die_with_parent``: the server ends when the ``collect`` command that started it dies
  (Linux: ``PR_SET_PDEATHSIG``; everywhere: a watchdog on the parent's pid).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import logging
import os
import resource
import signal
import socket
import sys
import time

from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop, PeriodicCallback

IDLE_SECONDS = 20  # an idle keep-alive connection, or headers not complete, is closed
BODY_SECONDS = 30  # a request body not complete in this time is dropped
FILE_RESERVE = 64  # open files kept free for the store, drafts, static files and logs
MAX_CONNECTIONS = 4096
PAUSE_SECONDS = 0.2  # out of files: accept again after this pause
LOG_WINDOW, LOG_BURST = 10.0, 20
DRAIN_SECONDS = 8.0  # below ``server.stop``'s 10 s before SIGKILL
PR_SET_PDEATHSIG = 1
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

log = logging.getLogger("dwp_assess.collect")


def connection_cap(limit: int | None = None) -> int:
    """Connections the server keeps open at most: the open-file limit less a reserve."""
    if limit is None:
        limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if limit == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(8, min(MAX_CONNECTIONS, limit - FILE_RESERVE))


class GuardedServer(HTTPServer):
    """Tornado's HTTP server with a cap on open connections and an accept loop that neither
    spins nor floods the log when the process runs out of open files."""

    def initialize(self, *args, max_connections: int | None = None, **kwargs) -> None:  # noqa: D401
        kwargs.setdefault("idle_connection_timeout", IDLE_SECONDS)
        kwargs.setdefault("body_timeout", BODY_SECONDS)
        super().initialize(*args, **kwargs)
        self.max_connections = max_connections or connection_cap()
        self._used: dict[object, float] = {}  # stream → when it was opened or last asked something
        self._closing: set = set()  # evicted connections whose close is still under way
        self.evicted = 0

    # -- accepting ---------------------------------------------------------------------------

    def add_sockets(self, sockets) -> None:
        for sock in sockets:
            self._sockets[sock.fileno()] = sock
            self._handlers[sock.fileno()] = self._watch(sock)

    def _watch(self, sock: socket.socket):
        loop = IOLoop.current()
        state = {"watching": False, "stopped": False}

        def resume() -> None:
            if not state["watching"] and not state["stopped"]:
                loop.add_handler(sock, accept, IOLoop.READ)
                state["watching"] = True

        def pause(seconds: float) -> None:
            if state["watching"]:
                loop.remove_handler(sock)
                state["watching"] = False
            loop.call_later(seconds, resume)

        def accept(_fd, _events) -> None:
            for _ in range(128):  # as Tornado: a bounded batch, then other work
                if self.open_connections() >= self.max_connections and not self._evict():
                    return pause(PAUSE_SECONDS)
                try:
                    connection, address = sock.accept()
                except BlockingIOError:
                    return
                except ConnectionAbortedError:
                    continue
                except OSError as exc:
                    if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                        log.warning(
                            "out of open files (%s): accepting paused", errno.errorcode[exc.errno]
                        )
                        return pause(PAUSE_SECONDS)
                    raise
                self._handle_connection(connection, address)

        def stop() -> None:
            state["stopped"] = True
            if state["watching"]:
                loop.remove_handler(sock)
                state["watching"] = False

        resume()
        return stop

    def open_connections(self) -> int:
        return len(self._connections) - len(self._closing)

    def _evict(self) -> bool:
        """Close the connection unused longest, to make room for a new one."""
        candidates = [c for c in self._connections if c not in self._closing]
        if not candidates:
            return False
        victim = min(candidates, key=lambda c: self._used.get(c.stream, 0.0))
        self._closing.add(victim)
        victim.stream.close()  # its file is free now; ``on_close`` follows
        self.evicted += 1
        return True

    # -- bookkeeping -------------------------------------------------------------------------

    def handle_stream(self, stream, address) -> None:
        self._used[stream] = time.monotonic()
        super().handle_stream(stream, address)

    def start_request(self, server_conn, request_conn):
        self._used[server_conn.stream] = time.monotonic()
        return super().start_request(server_conn, request_conn)

    def on_close(self, server_conn) -> None:
        self._used.pop(server_conn.stream, None)
        self._closing.discard(server_conn)
        super().on_close(server_conn)


# -- logs ------------------------------------------------------------------------------------


class RateLimit(logging.Filter):
    """At most ``burst`` records per ``window`` seconds per logger; the next record let
    through after a quiet spell says how many were dropped."""

    def __init__(self, window: float = LOG_WINDOW, burst: int = LOG_BURST):
        super().__init__()
        self.window, self.burst = window, burst
        self.seen: dict[
            str, tuple[float, int, int]
        ] = {}  # logger → (window start, let through, dropped)

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        start, passed, dropped = self.seen.get(record.name, (now, 0, 0))
        if now - start >= self.window:
            start, passed = now, 0
        if passed >= self.burst:
            self.seen[record.name] = (start, passed, dropped + 1)
            return False
        if dropped:
            record.msg = f"{record.getMessage()} ({dropped} similar messages not logged)"
            record.args = ()
        self.seen[record.name] = (start, passed + 1, 0)
        return True


def configure_logging(stream=None) -> logging.Handler:
    """Warnings and errors to stderr, rate-limited; one line per access only for 4xx/5xx."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RateLimit())
    for name in ("tornado.access", "tornado.application", "tornado.general", "asyncio", log.name):
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING)
        logger.addHandler(handler)
        logger.propagate = False
    return handler


# -- stopping ---------------------------------------------------------------------------------


class Drain:
    """Requests in flight, and a graceful stop: no new connections, the ones in flight
    finish (up to ``DRAIN_SECONDS``), then the loop ends."""

    def __init__(self, server: HTTPServer):
        self.server, self.in_flight, self.stopping = server, 0, False

    def started(self) -> None:
        self.in_flight += 1

    def finished(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)

    def install(self) -> None:
        loop = asyncio.get_event_loop()
        for signum in STOP_SIGNALS:
            loop.add_signal_handler(signum, self.stop)

    def stop(self) -> None:
        if not self.stopping:
            self.stopping = True
            IOLoop.current().add_callback(self._drain)

    async def _drain(self) -> None:
        self.server.stop()  # no new connections
        deadline = time.monotonic() + DRAIN_SECONDS
        while self.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.server.close_all_connections(), timeout=1)
        IOLoop.current().stop()


def die_with_parent(parent_pid: int, drain: Drain) -> PeriodicCallback:
    """Stop when the process ``parent_pid`` (``dwp-assess collect``) is gone: the kernel
    sends SIGTERM on Linux, and a watchdog checks every second elsewhere (and covers a
    parent that died before this ran)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)

    def check() -> None:
        if os.getppid() != parent_pid:
            drain.stop()

    watchdog = PeriodicCallback(check, 1000)
    watchdog.start()
    check()
    return watchdog
