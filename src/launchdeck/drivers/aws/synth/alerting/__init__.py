"""Alerting on AWS: CloudWatch alarms -> an encrypted SNS topic -> a Lambda that posts to Slack
(topic.py), the manifest's `[[alerts]]` as alarms and log metric filters (rules.py, with
log_filters.py translating patterns), and what stops an alert from becoming one (checks.py)."""
