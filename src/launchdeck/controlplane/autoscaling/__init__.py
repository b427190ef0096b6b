"""Autoscaling on one host: every 2 s, each autoscaled service's figures (from the metrics: the
router's requests of the last 10 s, the collectors' CPU) are put to planning.autoscale, and its
decisions go through the same health-gated path as `scale`, recorded with their reasons.

Owns: the autoscaler's loop, its figures, its decisions' history, manual pauses (`autoscale
resume`) and what the host's free memory allows.
Must not import: the HTTP API or the CLI.
"""

from launchdeck.controlplane.autoscaling.autoscaler import Autoscaler

__all__ = ["Autoscaler"]
