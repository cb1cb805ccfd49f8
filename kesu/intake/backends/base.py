"""The interface every channel backend implements (web form, API, mail, import …)."""

from __future__ import annotations

from typing import Any, ClassVar

from kesu.intake.services import Receipt, Submission, intake_receive


class ChannelBackend:
    """Turns one channel's input into a `Submission` and receives it.

    A subclass sets `name` (stable, stored on every IntakeRecord, e.g. "wecom") and
    `channel` (the Channel value its cases keep), and adds one method that parses its
    own input (a form, a JSON body, a mail, a row) and ends in `self.receive(...)`.
    """

    name: ClassVar[str]
    channel: ClassVar[str]

    def submission(self, **fields: Any) -> Submission:
        """A Submission tagged with this backend; `channel` may be overridden."""
        fields.setdefault("channel", self.channel)
        return Submission(backend=self.name, **fields)

    def idempotency_key(self, client: str, key: str) -> str:
        """The client's key namespaced by backend and client, so clients never clash."""
        return f"{self.name}:{client}:{key}" if key else ""

    def receive(self, submission: Submission) -> Receipt:
        """Hand the submission to the one intake service."""
        return intake_receive(submission=submission)
