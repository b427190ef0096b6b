"""`[[alerts]]` in the manifest: the value types (types), the table and what its keys must agree
on (schema), and the rules across alerts and environments (rules)."""
