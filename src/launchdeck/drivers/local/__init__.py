"""The local driver: instances are process groups in their own session, routed by one HAProxy.

Owns: spawning and stopping instances, health probes, port allocation, cgroup limits, HAProxy,
and the add-on servers (PostgreSQL clusters with their backups and restores, Redis).
Must not import: planning, execution, controlplane, cli.
"""
