"""The Redis add-on: one server per app environment, AOF persistence, an ACL user per app.

Owns: the server's directory, config and ACL files; its client (redis-py); finding the servers
made (known.py); the length of a queue kept in one (queues.py).
Must not import: the control plane, execution or planning.
"""
