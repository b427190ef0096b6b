"""Drivers: the only code that touches processes, sockets, HAProxy, PostgreSQL or boto3.

Must not import: planning, execution, controlplane, cli.
"""
