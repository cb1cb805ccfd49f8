"""Reading raw mails: charsets, encoded headers, HTML, auto-replies, thread ids."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from django.utils import translation

from kesu.intake.backends.mail import CASE_NUMBER, external_id, keep_attachments
from kesu.intake.mail.parsing import (
    Attachment,
    decode_bytes,
    decode_header_value,
    html_to_text,
    parse_mail,
)
from tests.intake.conftest import EXE, PDF, PNG


@pytest.fixture(autouse=True)
def _english(settings) -> Iterator[None]:
    """Assertions read the English source strings, whatever is translated."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def test_gb2312_label_with_gbk_characters_decodes_as_gb18030():
    text = "朱镕基、王珺、啰嗦"

    assert decode_bytes(text.encode("gb18030"), "GB2312") == text
    assert decode_bytes(text.encode("gbk"), "x-gbk") == text


def test_big5_and_missing_or_unknown_labels_decode():
    assert decode_bytes("電視機無法開機".encode("big5"), "big5") == "電視機無法開機"
    assert decode_bytes("退货".encode(), None) == "退货"
    assert decode_bytes("退货".encode("gb18030"), "x-unknown-charset") == "退货"


def test_rfc2047_header_mixes_charsets_and_plain_text():
    gb = base64.b64encode("朱镕".encode("gb18030")).decode()
    raw = f"=?gb2312?B?{gb}?= =?utf-8?Q?=E5=85=88=E7=94=9F?= <zhu@example.com>"

    assert decode_header_value(raw) == "朱镕先生 <zhu@example.com>"


def test_html_is_sanitised_then_read_as_text():
    html = (
        "<style>.x{}</style><script>steal()</script><p>第一段 &lt;b&gt;</p>"
        "<ul><li>一</li><li>二</li></ul><iframe src=x>框</iframe>"
    )

    text = html_to_text(html)

    assert "steal" not in text
    assert ".x{}" not in text
    assert text == "第一段 <b>\n\n一\n\n二\n框"


def test_plain_text_part_is_preferred_over_html():
    raw = (
        b"From: a@example.com\r\nSubject: s\r\nMessage-ID: <m@x>\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="b"\r\n'
        b"\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain body\r\n"
        b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html body</p>\r\n"
        b"--b--\r\n"
    )

    assert parse_mail(raw).body == "plain body"


def test_mail_without_message_id_gets_a_stable_content_id():
    raw = b"From: a@example.com\r\nSubject: s\r\n\r\nbody\r\n"

    first, second = parse_mail(raw), parse_mail(raw)

    assert first.message_id == second.message_id
    assert first.message_id.startswith("<sha256.")


@pytest.mark.parametrize(
    ("header", "automatic"),
    [
        ("Auto-Submitted: auto-replied", "auto-submitted: auto-replied"),
        ("Auto-Submitted: No", ""),
        ("Precedence: bulk", "precedence: bulk"),
        ("Precedence: list", ""),
        ("X-Autoreply: yes", "x-autoreply"),
        ("Return-Path: <>", "bounce: null return path"),
        ("X-Mailer: Foxmail", ""),
    ],
)
def test_automatic_mail_is_recognised_by_its_headers(header, automatic):
    raw = f"From: a@example.com\r\n{header}\r\nSubject: s\r\n\r\nbody\r\n".encode()

    assert parse_mail(raw).automatic == automatic


def test_thread_ids_take_in_reply_to_then_nearest_references():
    raw = (
        b"From: a@example.com\r\nIn-Reply-To: <c@x>\r\n"
        b"References: <a@x>\r\n <b@x> <c@x>\r\n\r\nbody\r\n"
    )

    assert parse_mail(raw).thread_ids() == ["<c@x>", "<b@x>", "<a@x>"]


def test_case_number_is_found_in_a_reply_subject():
    assert CASE_NUMBER.findall("回复: 投诉 KS-20260301-0042 已受理") == [
        "KS-20260301-0042"
    ]
    assert CASE_NUMBER.findall("KS-2026031-0042") == []


def test_long_message_id_is_hashed_to_fit_the_external_id():
    long_id = "<" + "x" * 300 + "@example.com>"

    assert external_id("<short@example.com>") == "<short@example.com>"
    assert external_id(long_id).startswith("sha256:")
    assert len(external_id(long_id)) <= 200


def test_attachments_are_checked_by_content_and_refusals_noted():
    files = [
        Attachment(name="../../etc/receipt.pdf", content=PDF),
        Attachment(name="photo.jpg", content=EXE),
        *(Attachment(name=f"p{n}.png", content=PNG) for n in range(5)),
    ]

    kept, notes = keep_attachments(files)

    assert [upload.name for upload in kept] == [
        "receipt.pdf",
        *(f"p{n}.png" for n in range(4)),
    ]
    assert notes == [
        "photo.jpg (not a photo, PDF or audio)",
        "p4.png (more than 5 files)",
    ]


def test_malformed_headers_do_not_stop_parsing():
    raw = (
        b"From: =?utf-8?B?not base64?= <a@example.com>\r\nSubject: =?x?Q?\r\n\r\nok\r\n"
    )

    parsed = parse_mail(raw)

    assert parsed.sender_address == "a@example.com"
    assert parsed.body == "ok"
