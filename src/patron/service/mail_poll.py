"""The support mailbox, polled over IMAP: every unseen message is imported (mail_in) and
then marked \\Seen, only once its transaction has committed.

A message whose import failed for a passing reason (the database away) stays unseen and
is tried again at the next poll; one that can never be imported (too large, unreadable)
is marked \\Seen and \\Flagged, so that it stays in the mailbox for a person to look at
and is not fetched again. Messages are read with BODY.PEEK[]: fetching never marks them
read by itself. If marking fails after the import, the next poll fetches the message
again and finds it a duplicate (its Message-ID is stored), so nothing is imported twice.

Settings: PATRON_IMAP_HOST (empty: no polling), _PORT, _USER, _PASSWORD, _FOLDER, _SSL
(true: IMAP over TLS; false: STARTTLS when the server offers it, else plain, meant for a
server on the same host), _EVERY_MINUTES.
"""

from __future__ import annotations

import base64
import imaplib
import logging
import re
import ssl

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from patron.service.mail_in import IngestResult, ingest_bytes, max_bytes, too_large

logger = logging.getLogger("patron.mail")

# At most this many messages per poll: a backlog drains over a few polls instead of one
# job running for an hour (and holding its lock).
MAX_PER_POLL = 200
TIMEOUT_SECONDS = 60
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class MailboxError(Exception):
    """The mailbox could not be reached or used; says why (never the password)."""


def _connect() -> imaplib.IMAP4:
    host, port = settings.PATRON_IMAP_HOST, settings.PATRON_IMAP_PORT
    context = ssl.create_default_context()
    if settings.PATRON_IMAP_SSL:
        return imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=TIMEOUT_SECONDS)
    client = imaplib.IMAP4(host, port, timeout=TIMEOUT_SECONDS)
    if "STARTTLS" in client.capabilities:
        client.starttls(ssl_context=context)
    elif host not in {"127.0.0.1", "::1", "localhost"}:
        logger.warning("IMAP to %s without TLS: the password crosses the network in clear", host)
    return client


def _check(response: tuple[str, list], what: str) -> list:
    status, data = response
    if status != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
        raise MailboxError(f"{what} refused: {detail[:200]}")
    return data


def _literal(data: list) -> bytes | None:
    """The message bytes of a FETCH answer (a (header, literal) pair in imaplib's list)."""
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _size(client: imaplib.IMAP4, uid: bytes) -> int | None:
    data = _check(client.uid("FETCH", uid, "(RFC822.SIZE)"), "FETCH RFC822.SIZE")
    for item in data:
        header = item[0] if isinstance(item, tuple) else item
        if isinstance(header, bytes) and (found := _SIZE.search(header)):
            return int(found.group(1))
    return None


def _mark(client: imaplib.IMAP4, uid: bytes, result: IngestResult) -> None:
    flags = r"(\Seen \Flagged)" if result.status == "rejected" else r"(\Seen)"
    _check(client.uid("STORE", uid, "+FLAGS", flags), "STORE")


def _import_one(client: imaplib.IMAP4, uid: bytes) -> IngestResult:
    size = _size(client, uid)
    if size is not None and size > max_bytes():
        return IngestResult(status="rejected", reason=too_large(size))
    raw = _literal(_check(client.uid("FETCH", uid, "(BODY.PEEK[])"), "FETCH"))
    if raw is None:
        return IngestResult(status="rejected", reason="the server sent no message body")
    return ingest_bytes(raw)


def poll_mailbox() -> list[IngestResult]:
    """Import the unseen messages of the support mailbox; the results, one per message
    looked at. Never raises: a mailbox that cannot be reached is logged and polled again
    next time."""
    if not settings.PATRON_IMAP_HOST:
        return []
    results: list[IngestResult] = []
    client = None
    try:
        client = _connect()
        _check(client.login(settings.PATRON_IMAP_USER, settings.PATRON_IMAP_PASSWORD), "LOGIN")
        _check(client.select(_mailbox_name(settings.PATRON_IMAP_FOLDER)), "SELECT")
        found = _check(client.uid("SEARCH", None, "UNSEEN"), "SEARCH")
        uids = found[0].split() if found and found[0] else []
        for uid in uids[:MAX_PER_POLL]:
            try:
                result = _import_one(client, uid)
            except MailboxError as exc:  # this message only (say, deleted meanwhile)
                logger.warning("Inbound mail UID %s not fetched: %s", uid, exc)
                continue
            results.append(result)
            if result.transient:
                logger.warning("Inbound mail UID %s left unseen: %s", uid, result.reason)
                continue
            if result.status == "rejected":
                logger.warning("Inbound mail UID %s rejected: %s", uid, result.reason)
            _mark(client, uid, result)
    except (MailboxError, imaplib.IMAP4.error, OSError) as exc:
        logger.error(
            "Polling the mailbox %s@%s failed: %s",
            settings.PATRON_IMAP_USER,
            settings.PATRON_IMAP_HOST,
            exc,
        )
    finally:
        if client is not None:
            try:
                client.logout()
            except (imaplib.IMAP4.error, OSError):
                logger.debug("IMAP logout failed", exc_info=True)
    if results:
        logger.info(
            "Mailbox polled: %s",
            ", ".join(f"{r.status} {r.message_id or '?'}" for r in results),
        )
    return results


def imap_utf7(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3): "Входящие", "受信箱"."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode()
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)


def _mailbox_name(folder: str) -> str:
    """A folder name as an IMAP string: encoded, and quoted when it has spaces or quotes."""
    folder = imap_utf7(folder or "INBOX")
    if re.fullmatch(r"[A-Za-z0-9._/&,+\-]+", folder):
        return folder
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _schedule() -> crontab:
    every = max(1, settings.PATRON_IMAP_EVERY_MINUTES)
    if every < 60:
        return crontab(minute=f"*/{every}")
    return crontab(minute="0", hour=f"*/{max(1, every // 60)}")


@db_periodic_task(_schedule())
@lock_task("patron-mail-poll")
def mail_poll() -> None:
    """Every PATRON_IMAP_EVERY_MINUTES: import the support mailbox (nothing when
    PATRON_IMAP_HOST is empty). Locked: a slow poll is never overlapped by the next."""
    poll_mailbox()
