"""One JSON object per log line, so request logs can be filtered by request id and timings.

Call sites pass structured data as ``extra={"fields": {...}}``; the formatter merges it into the
line instead of formatting it into the message, which keeps the lines machine-readable.
"""

from __future__ import annotations

import json
import logging
import sys
import time


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(level: str = "INFO") -> None:
    """Send the ``chainrule`` loggers to stderr as JSON lines (idempotent)."""
    logger = logging.getLogger("chainrule")
    logger.setLevel(level.upper())
    logger.propagate = False
    if not any(getattr(h, "_chainrule", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler._chainrule = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
