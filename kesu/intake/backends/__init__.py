"""Channel backends: one module per way a complaint arrives (README: Intake channels).

Each backend turns its channel's input into a `Submission` and hands it to
`kesu.intake.services.intake_receive`; validation, idempotency, ownership and the
acknowledgement are the service's business, the same for every channel.
"""
