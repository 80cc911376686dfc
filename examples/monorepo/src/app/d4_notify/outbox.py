"""Messages waiting to be sent; the sender process drains the outbox."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from app.d4_notify.templates import render

INVOICE_SUBJECT = "Your invoice {{ invoice_id }}"
INVOICE_BODY = (
    "<p>Hello {{ customer_id }},</p>\n"
    "<p>Thank you for order {{ order_id }}. Amount due: <b>{{ gross }}</b>.</p>"
)


@dataclass(frozen=True, slots=True)
class Message:
    to: str
    subject: str
    body: str


class Outbox:
    """Thread-safe: the HTTP server handles requests on several threads."""

    def __init__(self) -> None:
        self._messages: list[Message] = []
        self._lock = threading.Lock()

    def queue_invoice(self, to: str, values: dict[str, object]) -> Message:
        message = Message(
            to=to,
            subject=render(INVOICE_SUBJECT, values, escape=False),
            body=render(INVOICE_BODY, values),
        )
        with self._lock:
            self._messages.append(message)
        return message

    def drain(self) -> list[Message]:
        with self._lock:
            messages, self._messages = self._messages, []
        return messages

    def __len__(self) -> int:
        with self._lock:
            return len(self._messages)
