"""Pure planning: desired state (release + scale) vs actual instances -> a Plan of actions.

Owns: rollout ordering (max surge / max unavailable), drift repair decisions, alert evaluation,
the autoscaler's desired count (planning.autoscale).
Must not import: drivers, build, system, or anything that does I/O.
"""

from launchdeck.planning.alerts import Evaluation, evaluate
from launchdeck.planning.plan import (
    Action,
    AwaitHealthy,
    Drain,
    Plan,
    Route,
    Start,
    Stop,
    render,
)
from launchdeck.planning.rollout import Desired, NewId, plan_rollout

__all__ = [
    "Action",
    "AwaitHealthy",
    "Desired",
    "Drain",
    "Evaluation",
    "NewId",
    "Plan",
    "Route",
    "Start",
    "Stop",
    "evaluate",
    "plan_rollout",
    "render",
]
