"""The Content-Security-Policy of every page: scripts run only from tgpl's own files or with the response's nonce.

Text from phones, XLSForms and imports is escaped wherever it is shown; the policy is the second wall. A script that
slipped into a page anyway (an inline `<script>`, an `onerror=` attribute, a `javascript:` URL) carries no nonce, so
the browser refuses to run it. The nonce is new for every response and only tgpl's own markup carries it.
"""

from __future__ import annotations

import secrets

TILES = "https://tile.openstreetmap.org"  # the only address outside tgpl a page loads from: the maps' base tiles


def new_nonce() -> str:
    """A fresh nonce for one response (144 random bits, URL-safe base64)."""
    return secrets.token_urlsafe(18)


def policy(nonce: str, *, framable: bool = False) -> str:
    """The policy of a page whose own inline scripts carry nonce; framable by tgpl's own pages, or by no page."""
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": "'self' 'unsafe-inline'",  # style attributes (Leaflet, the legend); they cannot run script
        "img-src": f"'self' data: {TILES}",  # data: for the QR code of a new phone
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'self'" if framable else "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def page_headers(nonce: str, *, framable: bool = False) -> dict[str, str]:
    """The headers of an HTML page: the policy, no framing by other sites, no caching of personal data."""
    return {
        "Content-Security-Policy": policy(nonce, framable=framable),
        "X-Frame-Options": "SAMEORIGIN" if framable else "DENY",  # for browsers without frame-ancestors
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
