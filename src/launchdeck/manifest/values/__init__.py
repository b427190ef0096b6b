"""The values a manifest is written in: durations, sizes and amounts (units), backup periods
(periods), the schema's field types (fieldtypes), and did-you-mean suggestions (suggest)."""
