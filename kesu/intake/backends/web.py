"""The public complaint form (no login): channel `web`.

The form carries a signed one-time token issued when it was rendered
(kesu.intake.forms.form_token_issue); it is the submission's idempotency key, so a
double click or a resubmitted page returns the first post's case.
"""

from __future__ import annotations

from typing import Any

from kesu.cases.models import Channel
from kesu.intake.backends.base import ChannelBackend
from kesu.intake.services import Receipt


class WebFormBackend(ChannelBackend):
    """Receives the cleaned data of the public form (kesu.intake.forms)."""

    name = "web"
    channel = Channel.WEB

    def receive_form(self, cleaned: dict[str, Any], *, user_agent: str) -> Receipt:
        """One case per rendered form: a repeated post returns the first case."""
        return self.receive(
            self.submission(
                idempotency_key=self.idempotency_key("form", cleaned["form_token"]),
                store=cleaned["store"],
                description=cleaned["description"],
                customer_name=cleaned["customer_name"],
                customer_phone=cleaned["customer_phone"],
                customer_email=cleaned["customer_email"],
                customer_address=cleaned["customer_address"],
                demand=cleaned["demand"],
                product=cleaned["product"],
                product_model=cleaned["product_model"],
                serial_number=cleaned["serial_number"],
                purchased_on=cleaned["purchased_on"],
                order_number=cleaned["order_number"],
                attachments=cleaned["attachments"],
                source={"user_agent": user_agent[:200], "consent": True},
            )
        )
