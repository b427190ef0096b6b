"""Metrics: the time-series store request and resource figures land in, the loop that fills
it, and the views the API and `/metrics` serve from it."""
