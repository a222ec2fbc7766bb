"""Submissions: receiving, refusals, instances, facts, reading, review, export. Imports core and other services."""
