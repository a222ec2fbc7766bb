"""Submissions: receiving, refusals, instances, facts, reading, review, export and who gets which. Imports core and
other services."""
