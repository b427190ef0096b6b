"""The command groups and commands beside the core verbs of main.py: add-ons and databases,
config, domains, git remotes, metrics/top/alerts, the local server, tokens and the audit log."""
