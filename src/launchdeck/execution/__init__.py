"""Run a Plan against a driver (or render it for --dry-run): health gates, drains, circuit breaker.

Owns: the Executor and the objects for its hard steps (HealthGate, Drainer).
Must not import: controlplane, cli.
"""

from launchdeck.execution.executor import Executor, RolloutFailed
from launchdeck.execution.gate import GateFailed, HealthGate
from launchdeck.execution.runtime import Ledger, Runtime

__all__ = ["Executor", "GateFailed", "HealthGate", "Ledger", "RolloutFailed", "Runtime"]
