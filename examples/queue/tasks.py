"""The queue both services share: Dramatiq on the environment's Redis add-on (REDIS_URL).

The web service imports this module to enqueue (`record.send(job_id)`); the worker service runs
it (`dramatiq tasks ...`). A job's work is to add its id to the Redis set `done` after a short
sleep, and to count the execution in `processed`.

Delivery is at-least-once. A worker takes messages off the queue into its own "unacked" set and
acknowledges each one only after the job has run. If the worker dies (SIGKILL, OOM, power),
whatever it held -- the job it was running and the ones it had prefetched -- stays unacked; once
its heartbeat is older than HEARTBEAT_TIMEOUT_MS, the next broker call (any worker's fetch, the
web's enqueue) moves them back onto the queue and another worker runs them. So a job that was
half done, or done but not yet acknowledged, runs again: jobs must be idempotent. Here the set
makes that free (SADD of an id already there changes nothing); `processed` counts the extra
executions so they can be seen.
"""

import os
import random
import time

import dramatiq
import redis
from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker

REDIS_URL = os.environ["REDIS_URL"]

# A worker counts as dead once it has sent no heartbeat for this long; a heartbeat rides on every
# broker call (fetch, ack), and an idle worker polls at least once a second. Dramatiq's default
# is 60 s; 5 s brings a dead worker's jobs back within ~5-6 s. Keep it well above the longest
# job: a worker busy with long jobs and a full prefetch sends none, looks dead, and its jobs run
# a second time (harmless when they are idempotent, but wasted work).
HEARTBEAT_TIMEOUT_MS = 5_000
# How many broker calls in a million also run maintenance (requeue dead workers' messages, drop
# expired dead letters). The default, 1,000, relies on a busy queue to get there; every call
# here, so recovery never waits on chance. Maintenance is two range reads when nobody is dead.
MAINTENANCE_CHANCE = MAINTENANCE_SCALE
# How long a job that failed all its retries stays in the dead-letter queue (`default.XQ`) for
# inspection. Not part of crash recovery: a killed worker's jobs are requeued, never dead-lettered.
DEAD_MESSAGE_TTL_MS = 7 * 24 * 3600 * 1000
# How long a job's "work" takes on average, in seconds (config var JOB_SECONDS).
JOB_SECONDS = float(os.environ.get("JOB_SECONDS", "0.0125"))

broker = RedisBroker(
    url=REDIS_URL,
    heartbeat_timeout=HEARTBEAT_TIMEOUT_MS,
    maintenance_chance=MAINTENANCE_CHANCE,
    dead_message_ttl=DEAD_MESSAGE_TTL_MS,
)
dramatiq.set_broker(broker)
store = redis.Redis.from_url(REDIS_URL, decode_responses=True)


@dramatiq.actor(max_retries=5)
def record(job_id: str) -> None:
    time.sleep(random.uniform(0.4, 1.6) * JOB_SECONDS)  # the "work"
    with store.pipeline(transaction=True) as tx:
        tx.sadd("done", job_id)  # idempotent: a second run of the same job adds nothing
        tx.incr("processed")  # every execution, duplicates included
        tx.execute()


def queue_key() -> str:
    """The Redis list of messages waiting to be fetched (Dramatiq's layout: namespace:queue)."""
    return f"{broker.namespace}:{record.queue_name}"


def stats() -> dict[str, int]:
    with store.pipeline(transaction=False) as read:
        read.get("enqueued")
        read.scard("done")
        read.get("processed")
        read.llen(queue_key())
        read.hlen(f"{queue_key()}.msgs")  # every message not yet acknowledged
        enqueued, done, processed, queued, unacked = read.execute()
    return {
        "enqueued": int(enqueued or 0),
        "done": done,
        "processed": int(processed or 0),
        "queued": queued,
        # waiting + running + held by a dead worker until its heartbeat expires
        "unacked": unacked,
    }
