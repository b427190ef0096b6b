"""Moving an environment from one release to another: the use cases (deploy, rollback,
promote, scale, restart, config), their phases (test, release command), add-on attachment, the
journal of events and notices (the one writer of events: the executor's ledger writes through it,
so every event is redacted), and the worker thread per environment that runs them in order.

Must not import: http (the API calls these, not the other way round).
"""
