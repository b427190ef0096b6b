"""Pure planning: desired state (release + scale) vs actual instances -> a Plan of actions.

Owns: rollout ordering (max surge / max unavailable), drift repair decisions.
Must not import: drivers, build, system, or anything that does I/O.
"""
