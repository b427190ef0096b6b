"""Run a Plan against a driver (or render it for --dry-run): health gates, drains, circuit breaker.

Owns: the Executor and the objects for its hard steps (HealthGate, Drainer).
Must not import: controlplane, cli.
"""
