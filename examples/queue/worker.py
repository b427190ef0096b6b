"""The worker service: Dramatiq's worker threads in this one process, consuming tasks.py's queue
(no forked children, so the instance launchdeck supervises is the worker itself).

On SIGTERM (a deploy, `scale worker=0`, `restart`) it stops taking messages, lets the running
jobs finish (at most STOP_MS, under the manifest's stop_timeout) and hands its prefetched
messages back to the queue. A SIGKILL skips all that: tasks.py says how those jobs come back."""

import logging
import os
import signal
import sys
import threading

from dramatiq import Worker
from tasks import broker

THREADS = int(os.environ.get("WORKER_THREADS", "4"))
STOP_MS = 5_000

logging.basicConfig(
    stream=sys.stdout, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s"
)
stopping = threading.Event()
for sig in (signal.SIGTERM, signal.SIGINT):
    signal.signal(sig, lambda *_: stopping.set())

worker = Worker(broker, worker_threads=THREADS)
worker.start()
logging.info("worker started: %d threads (%s)", THREADS, os.environ.get("LAUNCHDECK_RELEASE"))
stopping.wait()
worker.stop(timeout=STOP_MS)
logging.info("worker stopped")
