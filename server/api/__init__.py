"""The JSON API for scripts and dashboards, authenticated by a web user's token."""
