"""Reading a raw RFC 5322 mail into what intake needs, whatever its charset.

Chinese mail is often mislabelled: a part declared GB2312 routinely holds GBK
characters (e.g. 镕, 啰), so the GB family is decoded as GB18030, its superset. Headers
are decoded word by word (RFC 2047) with the same rule.
"""

from __future__ import annotations

import datetime as dt
import email
import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.header import decode_header
from email.message import Message
from html.parser import HTMLParser

import nh3

# Declared charsets decoded with a superset codec instead (labels are lower-case).
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
}
# When the label is missing or unknown: most Chinese mail is one of these.
_FALLBACKS = ("utf-8", "gb18030")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_AUTO_PRECEDENCE = {"bulk", "junk", "auto_reply"}
_BOUNCE_SENDERS = ("mailer-daemon@", "postmaster@")


@dataclass(frozen=True)
class Attachment:
    """A file part of the mail, by its decoded name."""

    name: str
    content: bytes


@dataclass
class ParsedMail:
    """What intake reads from one mail."""

    message_id: str
    in_reply_to: list[str]
    references: list[str]
    subject: str
    sender_name: str
    sender_address: str
    sent_at: dt.datetime | None
    body: str
    attachments: list[Attachment] = field(default_factory=list)
    # Why the mail is machine-made (auto-reply, bounce), empty for a person's mail.
    automatic: str = ""

    def thread_ids(self) -> list[str]:
        """The Message-IDs this mail answers, nearest first."""
        return list(dict.fromkeys([*self.in_reply_to, *reversed(self.references)]))


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text of `data` in its declared charset, read as the superset codec."""
    label = (charset or "").strip().strip('"').lower()
    candidates = [_CHARSET_ALIASES.get(label, label)] if label else []
    for codec in [*candidates, *_FALLBACKS]:
        try:
            return data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode(candidates[0] if candidates else "utf-8", errors="replace")


def decode_header_value(raw: object) -> str:
    """A header as text: RFC 2047 encoded words decoded, raw 8-bit read as UTF-8/GB."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raw = str(raw)
    try:
        chunks = decode_header(raw)
    except HeaderParseError:
        return raw.strip()
    parts = []
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            parts.append(decode_bytes(chunk, charset))
        else:
            parts.append(chunk)
    return "".join(parts).strip()


def message_ids(raw: object) -> list[str]:
    """The <id@host> tokens of a Message-ID, In-Reply-To or References header."""
    return _MESSAGE_ID.findall(str(raw or ""))


def parse_mail(raw: bytes) -> ParsedMail:
    """The fields, text and files of a raw mail."""
    message = email.message_from_bytes(raw)
    name, address = email.utils.parseaddr(decode_header_value(message.get("From")))
    ids = message_ids(message.get("Message-ID"))
    body, attachments = _content(message)
    return ParsedMail(
        # A mail without Message-ID still needs a stable id: its content's hash.
        message_id=ids[0] if ids else f"<sha256.{hashlib.sha256(raw).hexdigest()}>",
        in_reply_to=message_ids(message.get("In-Reply-To")),
        references=message_ids(message.get("References")),
        subject=decode_header_value(message.get("Subject")),
        sender_name=name.strip(),
        sender_address=address.strip(),
        sent_at=_date(message.get("Date")),
        body=body,
        attachments=attachments,
        automatic=automatic_reason(message, address),
    )


def automatic_reason(message: Message, sender: str) -> str:
    """Why a mail is an auto-reply or bounce (RFC 3834, RFC 3464), else ""."""
    auto_submitted = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return f"auto-submitted: {auto_submitted.split(';')[0].strip()}"
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in _AUTO_PRECEDENCE:
        return f"precedence: {precedence}"
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return "x-autoreply"
    if message.get_content_type() == "multipart/report":
        return f"report: {message.get_param('report-type') or 'unknown'}"
    if sender.lower().startswith(_BOUNCE_SENDERS):
        return "bounce: mailer-daemon"
    if str(message.get("Return-Path", "")).strip() == "<>":
        return "bounce: null return path"
    return ""


def _date(raw: object) -> dt.datetime | None:
    if not raw:
        return None
    try:
        value = email.utils.parsedate_to_datetime(str(raw))
    except (TypeError, ValueError, IndexError):
        return None
    return value if value.tzinfo is not None else None


def _content(message: Message) -> tuple[str, list[Attachment]]:
    """The best text body (plain over HTML) and the file parts."""
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        decoded = part.get_payload(decode=True)
        payload = decoded if isinstance(decoded, bytes) else b""
        if filename or part.get_content_disposition() == "attachment":
            name = decode_header_value(filename) or "attachment"
            attachments.append(Attachment(name=name, content=payload))
        elif part.get_content_type() == "text/plain":
            plain.append(decode_bytes(payload, part.get_content_charset()))
        elif part.get_content_type() == "text/html":
            html.append(html_to_text(decode_bytes(payload, part.get_content_charset())))
    text = "\n\n".join(plain) if any(p.strip() for p in plain) else "\n\n".join(html)
    return _tidy(text), attachments


# Kept by the sanitiser only so the text keeps its paragraphs and list items.
_BLOCK_TAGS = {"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}
_TEXT_TAGS = _BLOCK_TAGS | {"ul", "ol", "table", "tbody", "td", "th", "span", "b", "i"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag in {"td", "th"}:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML mail body, sanitised with nh3 first.

    nh3 drops scripts, styles and every tag outside a small allowlist (with their
    attributes), so what is left to read is harmless text and line structure.
    """
    clean = nh3.clean(html, tags=_TEXT_TAGS, attributes={}, link_rel=None)
    extractor = _TextExtractor()
    extractor.feed(clean)
    extractor.close()
    return _tidy("".join(extractor.parts))


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
