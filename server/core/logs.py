"""Logging that never writes an app user's token: /key/<token>/ becomes /key/…/ in every log line."""

from __future__ import annotations

import logging
import re

KEY_IN_PATH = re.compile(r"/key/[^/\s?\"]+")


def mask_tokens(text: str) -> str:
    """The text with every /key/<token> replaced by /key/…"""
    return KEY_IN_PATH.sub("/key/…", text)


class MaskTokens(logging.Filter):
    """A log filter for uvicorn's access log (whose path argument carries the token)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's arguments and message in place; never drops a record."""
        if isinstance(record.args, tuple):
            record.args = tuple(mask_tokens(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = mask_tokens(record.msg)
        return True


def install() -> None:
    """Mask tokens in uvicorn's access and error logs (call once the loggers exist)."""
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskTokens) for f in logger.filters):
            logger.addFilter(MaskTokens())
