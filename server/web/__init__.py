"""The coordinator web app: server-rendered pages, Vietnamese first with an English switch."""
