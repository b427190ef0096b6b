"""The `launchdeck` command line. Talks to the control plane over HTTP only.

Must not import: controlplane, execution, planning, drivers, build.
"""
