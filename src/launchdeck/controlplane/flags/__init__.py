"""Feature flags: each app environment's flags (`flags.db`), the use cases behind
`launchdeck flags` (service), and the feed apps long-poll for their set (feed).

Apps evaluate flags themselves, with the OpenFeature provider in clients/python
(`launchdeck_openfeature`); the control plane shares its pure rule parser and wire format, so a
rule the API accepts is one the provider evaluates. Must not import: drivers, execution.
"""
