"""A real IMAP server for the mail tests: Debian's dovecot, started unprivileged.

Each server gets a throw-away directory with its own config, a passwd-file with one
user and a maildir, and listens on free loopback ports (plain IMAP, and IMAPS with a
self-signed certificate). Under root, dovecot runs as `nobody`. Without dovecot the
tests skip, unless KESU_REQUIRE_IMAP=1 (CI: apt install dovecot-imapd), where they
fail instead.
"""

from __future__ import annotations

import datetime as dt
import grp
import imaplib
import ipaddress
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "complaints"
PASSWORD = "s3cret-app-password"  # noqa: S105 - a throw-away test account


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("KESU_REQUIRE_IMAP") == "1":
        pytest.fail(f"KESU_REQUIRE_IMAP=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass
class ImapServer:
    """A running dovecot: where it listens and how to put mail into it."""

    root: Path
    port: int
    tls_port: int
    ca_file: Path
    host: str = "127.0.0.1"
    user: str = USER
    password: str = PASSWORD

    @contextmanager
    def client(self) -> Iterator[imaplib.IMAP4]:
        imap = imaplib.IMAP4(self.host, self.port)
        imap.login(self.user, self.password)
        try:
            yield imap
        finally:
            imap.logout()

    def create(self, folder: str) -> int:
        """Create the folder; its UIDVALIDITY."""
        with self.client() as imap:
            imap.create(folder)
            return self.uidvalidity(folder, imap)

    def recreate(self, folder: str) -> int:
        """Delete and create the folder again: a new UIDVALIDITY, UIDs from 1."""
        with self.client() as imap:
            imap.delete(folder)
            imap.create(folder)
            return self.uidvalidity(folder, imap)

    def uidvalidity(self, folder: str, imap: imaplib.IMAP4) -> int:
        _status, data = imap.status(folder, "(UIDVALIDITY)")
        match = re.search(rb"UIDVALIDITY (\d+)", data[0] or b"")
        assert match, data
        return int(match.group(1))

    def append(self, folder: str, raw: bytes) -> int:
        """Deliver a mail by IMAP APPEND; its UID."""
        with self.client() as imap:
            status, data = imap.append(folder, None, None, raw)
        assert status == "OK", data
        match = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
        assert match, data
        return int(match.group(1))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _self_signed(root: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.DNSName("localhost"),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = root / "cert.pem", root / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _config(root: Path, port: int, tls_port: int, user: str, group: str) -> str:
    cert_file, key_file = _self_signed(root)
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert_file}
ssl_key = <{key_file}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
"""


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except OSError:
            time.sleep(0.05)
            continue
        return
    output = log.read_text() if log.exists() else ""
    process.kill()
    pytest.fail(f"dovecot did not start on port {port}:\n{output}", pytrace=False)


@contextmanager
def dovecot_server() -> Iterator[ImapServer]:
    """A dovecot for the duration of the block, removed with its mail afterwards."""
    if not Path(DOVECOT).exists():
        unavailable(f"{DOVECOT} is missing (apt install dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="kesu-dovecot-"))
    # Dovecot refuses to run mail processes as root: under root it runs as nobody.
    account = pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.getuid())
    group = grp.getgrgid(account.pw_gid).gr_name
    port, tls_port = _free_port(), _free_port()
    for name in ("run", "state", "mail"):
        (root / name).mkdir()
    (root / "passwd").write_text(
        f"{USER}:{{PLAIN}}{PASSWORD}:{account.pw_uid}:{account.pw_gid}::"
        f"{root}/mail/{USER}\n"
    )
    (root / "dovecot.conf").write_text(
        _config(root, port, tls_port, account.pw_name, group)
    )
    os.chmod(root, 0o755)  # noqa: S103 - dovecot's own user must reach the files
    if os.geteuid() == 0:
        for path in [root, *root.rglob("*")]:
            os.chown(path, account.pw_uid, account.pw_gid)
    run_as = (
        {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        if os.geteuid() == 0
        else {}
    )
    process = subprocess.Popen(  # noqa: S603 - a fixed binary and our own config
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **run_as,  # type: ignore[call-overload]
    )
    try:
        _wait_listening(port, process, root / "dovecot.log")
        _wait_listening(tls_port, process, root / "dovecot.log")
        yield ImapServer(
            root=root, port=port, tls_port=tls_port, ca_file=root / "cert.pem"
        )
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


def killed_poll(mailbox_id: int, *, after_commits: int, inside: bool) -> None:
    """Poll in this (sub)process and SIGKILL it mid-batch (test of exactly-once).

    With `inside=False` the process dies right after its `after_commits`-th message
    committed; with `inside=True` it dies inside the next message's transaction,
    after its case was inserted but before the commit.
    """
    import django

    django.setup()
    from kesu.intake.backends import mail
    from kesu.intake.mail.polling import mailbox_poll
    from kesu.intake.models import Mailbox

    commits = 0
    importing = mail.MailBackend.import_message
    receiving = mail.MailBackend.receive

    def import_message(self, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal commits
        record = importing(self, **kwargs)
        commits += 1
        if commits == after_commits and not inside:
            os.kill(os.getpid(), signal.SIGKILL)
        return record

    def receive(self, submission):  # type: ignore[no-untyped-def]
        receipt = receiving(self, submission)
        if commits == after_commits and inside:
            os.kill(os.getpid(), signal.SIGKILL)
        return receipt

    mail.MailBackend.import_message = import_message  # type: ignore[method-assign]
    mail.MailBackend.receive = receive  # type: ignore[method-assign]
    mailbox_poll(mailbox=Mailbox.objects.get(pk=mailbox_id))
