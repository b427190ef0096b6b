"""A background worker: no port, supervised like the web service, logs a heartbeat."""

import os
import signal
import sys
import time

running = True


def stop(*_: object) -> None:
    global running
    running = False


signal.signal(signal.SIGTERM, stop)
print(f"INFO worker started ({os.environ.get('LAUNCHDECK_RELEASE')})", flush=True)
while running:
    time.sleep(0.2)
print("INFO worker stopped", flush=True)
sys.exit(0)
