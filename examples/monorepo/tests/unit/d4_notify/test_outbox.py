from __future__ import annotations

from app.d4_notify.outbox import Outbox

VALUES: dict[str, object] = {
    "invoice_id": "inv_x",
    "customer_id": "c<1>",
    "order_id": "o-1",
    "gross": "50.81 EUR",
}


def test_invoice_message_is_rendered_and_queued() -> None:
    outbox = Outbox()
    message = outbox.queue_invoice("ann@example.invalid", VALUES)
    assert message.subject == "Your invoice inv_x"
    assert "Hello c&lt;1&gt;," in message.body
    assert "<b>50.81 EUR</b>" in message.body
    assert len(outbox) == 1


def test_drain_empties_the_outbox() -> None:
    outbox = Outbox()
    outbox.queue_invoice("a@example.invalid", VALUES)
    outbox.queue_invoice("b@example.invalid", VALUES)
    assert [m.to for m in outbox.drain()] == ["a@example.invalid", "b@example.invalid"]
    assert outbox.drain() == []
