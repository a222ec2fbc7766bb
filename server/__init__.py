"""tgpl server: core ← services (accounts, places, publishing, submissions) ← transports (openrosa, web, api, cli)."""
