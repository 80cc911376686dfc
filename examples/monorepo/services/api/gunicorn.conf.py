"""Process settings a production image would hand to its WSGI/HTTP runner."""

from __future__ import annotations

bind = "0.0.0.0:8080"
workers = 2
timeout = 30
