"""Inbound e-mail: reading mails (parsing) and fetching them over IMAP (polling).

The channel backend that turns a mail into a case or a timeline entry is
kesu/intake/backends/mail.py; README "Inbound e-mail" describes the set-up.
"""
