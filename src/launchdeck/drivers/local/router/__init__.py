"""The router: HAProxy as a master-worker process, its config file as the source of truth and its
runtime API for immediate changes (servers added, drained, removed without a reload).

Owns: haproxy.cfg and the hosts map, the HAProxy process, the runtime API socket.
Must not import: the control plane, execution or planning.
"""
