"""Instance logs: the store the instances' output is ingested into (store), and the regular
expressions people search it with, each with a time limit (patterns)."""
