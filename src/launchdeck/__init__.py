"""launchdeck: Heroku's push-to-deploy on infrastructure you own.

Layers (imports point downward only, enforced by import-linter in `make test`):
cli -> controlplane -> execution -> planning -> drivers -> build -> manifest -> domain -> system.
"""

__version__ = "0.1.0"
