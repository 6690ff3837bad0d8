"""A small, real IMAP4rev1 server on 127.0.0.1 for tests of the mailbox poller.

Enough of RFC 3501 for a client that logs in, selects a folder, searches for unseen
messages, fetches them (BODY.PEEK[], BODY[], RFC822, RFC822.SIZE, FLAGS, UID), marks them
with STORE and logs out, by sequence number or with the UID prefix. It speaks over a real
socket (a thread per connection), so imaplib is exercised as in production; nothing of
imaplib is replaced. Messages live in memory, in `server.folders`.
"""

from __future__ import annotations

import re
import shutil
import socketserver
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CAPABILITIES = "IMAP4rev1 AUTH=PLAIN LITERAL+ UIDPLUS"
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|\((?:[^()]|\([^()]*\))*\)|\[[^\]]*\]|[^\s()]+')


@dataclass
class StoredMessage:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


class Mailbox:
    """The server's state: one account, folders of messages, and a log of commands."""

    def __init__(self, user: str = "support", password: str = "s3cret pass") -> None:  # noqa: S107
        self.user = user
        self.password = password
        self.folders: dict[str, list[StoredMessage]] = {"INBOX": []}
        self.commands: list[str] = []
        self.next_uid = 1
        self.lock = threading.Lock()
        # Tests set it to make the server drop the connection at a command ("UID STORE").
        self.hang_up_on: str | None = None
        # UIDs a FETCH answers with NO for (a message expunged by another client).
        self.refuse_fetch: set[int] = set()
        self.tls_sessions = 0

    def add(self, raw: bytes, folder: str = "INBOX", flags: set[str] | None = None) -> int:
        with self.lock:
            uid = self.next_uid
            self.next_uid += 1
            self.folders.setdefault(folder, []).append(StoredMessage(uid, raw, set(flags or ())))
            return uid

    def flags_of(self, uid: int, folder: str = "INBOX") -> set[str]:
        return next(m.flags for m in self.folders[folder] if m.uid == uid)


def _unquote(token: bytes) -> str:
    text = token.decode("utf-8", "replace")
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def _message_set(spec: str, numbers: list[int]) -> list[int]:
    """The numbers (sequence numbers or UIDs) of "1", "2:4", "3,5", "1:*" among `numbers`."""
    chosen: list[int] = []
    top = max(numbers, default=0)
    for part in spec.split(","):
        if ":" in part:
            low, high = (top if x == "*" else int(x) for x in part.split(":", 1))
            low, high = min(low, high), max(low, high)
            chosen += [n for n in numbers if low <= n <= high]
        else:
            value = top if part == "*" else int(part)
            chosen += [n for n in numbers if n == value]
    return sorted(set(chosen))


class _Session(socketserver.StreamRequestHandler):
    server: _Server

    def capabilities(self) -> str:
        if self.server.tls == "starttls" and not self.secure:
            return CAPABILITIES + " STARTTLS LOGINDISABLED"
        return CAPABILITIES

    def send(self, line: bytes | str) -> None:
        data = line.encode() if isinstance(line, str) else line
        self.wfile.write(data + b"\r\n")

    def handle(self) -> None:
        box = self.server.mailbox
        self.logged_in = False
        self.secure = self.server.tls == "implicit"
        self.folder: str | None = None
        self.send(f"* OK [CAPABILITY {self.capabilities()}] Patron test IMAP ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            line = line.rstrip(b"\r\n")
            # A literal argument: {n} (or {n+} with LITERAL+), then n bytes.
            while (literal := re.search(rb"\{(\d+)(\+?)\}$", line)) is not None:
                if not literal.group(2):
                    self.send("+ go ahead")
                data = self.rfile.read(int(literal.group(1)))
                quoted = b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
                line = line[: literal.start()] + quoted + self.rfile.readline().rstrip(b"\r\n")
            tokens = _TOKEN.findall(line)
            if len(tokens) < 2:
                self.send(b"* BAD empty command")
                continue
            tag, command, args = tokens[0].decode(), tokens[1].decode().upper(), tokens[2:]
            with box.lock:
                box.commands.append(" ".join([command, *(_unquote(a) for a in args)]))
            uid = False
            if command == "UID" and args:
                uid, command, args = True, args[0].decode().upper(), args[1:]
            if box.hang_up_on == ("UID " if uid else "") + command:
                return  # the connection drops, as a network or a server restart does
            try:
                if not self.dispatch(tag, command, args, uid):
                    return
            except (ValueError, IndexError, KeyError) as exc:
                self.send(f"{tag} BAD {exc!s}"[:200])

    def dispatch(self, tag: str, command: str, args: list[bytes], uid: bool) -> bool:
        box = self.server.mailbox
        if command == "CAPABILITY":
            self.send(f"* CAPABILITY {self.capabilities()}")
        elif command == "STARTTLS" and self.server.tls == "starttls" and not self.secure:
            self.send(f"{tag} OK begin TLS now")
            assert self.server.context is not None
            self.connection = self.server.context.wrap_socket(self.connection, server_side=True)
            self.rfile = self.connection.makefile("rb")
            self.wfile = socketserver._SocketWriter(self.connection)
            self.secure = True
            with box.lock:
                box.tls_sessions += 1
            return True
        elif command == "NOOP":
            pass
        elif command == "LOGOUT":
            self.send("* BYE logging out")
            self.send(f"{tag} OK LOGOUT completed")
            return False
        elif command == "LOGIN" and not self.secure and self.server.tls == "starttls":
            self.send(f"{tag} NO [PRIVACYREQUIRED] LOGINDISABLED: use STARTTLS")
            return True
        elif command == "LOGIN":
            user, password = _unquote(args[0]), _unquote(args[1])
            if (user, password) != (box.user, box.password):
                self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials")
                return True
            self.logged_in = True
        elif not self.logged_in:
            self.send(f"{tag} NO log in first")
            return True
        elif command in {"SELECT", "EXAMINE"}:
            name = _unquote(args[0])
            if name.upper() == "INBOX":
                name = "INBOX"
            if name not in box.folders:
                self.send(f"{tag} NO [NONEXISTENT] No such folder")
                return True
            self.folder = name
            messages = box.folders[name]
            self.send(f"* {len(messages)} EXISTS")
            self.send("* 0 RECENT")
            self.send(r"* FLAGS (\Seen \Flagged \Deleted \Answered \Draft)")
            self.send("* OK [UIDVALIDITY 1] UIDs valid")
            self.send(f"* OK [UIDNEXT {box.next_uid}] next UID")
            mode = "READ-ONLY" if command == "EXAMINE" else "READ-WRITE"
            self.send(f"{tag} OK [{mode}] {command} completed")
            return True
        elif self.folder is None:
            self.send(f"{tag} BAD select a folder first")
            return True
        elif command == "SEARCH":
            self.search(args, uid)
        elif command == "FETCH":
            if not self.fetch(args, uid):
                self.send(f"{tag} NO [EXPUNGEISSUED] message gone")
                return True
        elif command == "STORE":
            self.store(args, uid)
        elif command == "CLOSE":
            self.folder = None
        else:
            self.send(f"{tag} BAD unknown command {command}")
            return True
        self.send(f"{tag} OK {'UID ' if uid else ''}{command} completed")
        return True

    def _messages(self) -> list[StoredMessage]:
        return self.server.mailbox.folders[self.folder or "INBOX"]

    def _chosen(self, spec: str, uid: bool) -> list[tuple[int, StoredMessage]]:
        messages = list(enumerate(self._messages(), start=1))
        if uid:
            wanted = set(_message_set(spec, [m.uid for _n, m in messages]))
            return [(n, m) for n, m in messages if m.uid in wanted]
        wanted = set(_message_set(spec, [n for n, _m in messages]))
        return [(n, m) for n, m in messages if n in wanted]

    def search(self, args: list[bytes], uid: bool) -> None:
        criteria = [_unquote(a).upper() for a in args]
        if criteria[:1] == ["CHARSET"]:
            criteria = criteria[2:]
        found = []
        for number, message in enumerate(self._messages(), start=1):
            if "UNSEEN" in criteria and "\\Seen" in message.flags:
                continue
            if "SEEN" in criteria and "\\Seen" not in message.flags:
                continue
            found.append(message.uid if uid else number)
        self.send("* SEARCH" + "".join(f" {n}" for n in found))

    def fetch(self, args: list[bytes], uid: bool) -> bool:
        spec = args[0].decode()
        items = b" ".join(args[1:]).strip(b"()").decode().upper().split()
        chosen = self._chosen(spec, uid)
        if any(m.uid in self.server.mailbox.refuse_fetch for _n, m in chosen):
            return False
        for number, message in chosen:
            parts: list[bytes] = []
            if uid or "UID" in items:
                parts.append(f"UID {message.uid}".encode())
            for item in items:
                if item == "RFC822.SIZE":
                    parts.append(f"RFC822.SIZE {len(message.raw)}".encode())
                elif item == "FLAGS":
                    parts.append(f"FLAGS ({' '.join(sorted(message.flags))})".encode())
                elif item in {"BODY.PEEK[]", "BODY[]", "RFC822"}:
                    name = "RFC822" if item == "RFC822" else "BODY[]"
                    parts.append(f"{name} {{{len(message.raw)}}}\r\n".encode() + message.raw)
                    if item != "BODY.PEEK[]":  # reading the body marks it read (RFC 3501)
                        message.flags.add("\\Seen")
            self.send(f"* {number} FETCH (".encode() + b" ".join(parts) + b")")
        return True

    def store(self, args: list[bytes], uid: bool) -> None:
        spec, action = args[0].decode(), args[1].decode().upper()
        flags = set(b" ".join(args[2:]).strip(b"()").decode().split())
        for number, message in self._chosen(spec, uid):
            if action.startswith("+FLAGS"):
                message.flags |= flags
            elif action.startswith("-FLAGS"):
                message.flags -= flags
            else:
                message.flags = set(flags)
            if not action.endswith(".SILENT"):
                listed = " ".join(sorted(message.flags))
                extra = f"UID {message.uid} " if uid else ""
                self.send(f"* {number} FETCH ({extra}FLAGS ({listed}))")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mailbox: Mailbox, tls: str, context: ssl.SSLContext | None) -> None:
        super().__init__(("127.0.0.1", 0), _Session)
        self.mailbox = mailbox
        self.tls = tls
        self.context = context

    def get_request(self):  # socketserver's name
        connection, address = super().get_request()
        if self.tls == "implicit" and self.context is not None:
            connection = self.context.wrap_socket(connection, server_side=True)
            self.mailbox.tls_sessions += 1
        return connection, address


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (with the openssl tool)."""
    cert, key = directory / "imap-cert.pem", directory / "imap-key.pem"
    subprocess.run(
        [
            shutil.which("openssl") or "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class ImapServer:
    """The running server: `mailbox` to fill and inspect, `port` to connect to. `tls`:
    "none", "starttls" (LOGIN refused until STARTTLS) or "implicit" (IMAPS)."""

    def __init__(self, tls: str = "none", certificate: tuple[Path, Path] | None = None) -> None:
        self.mailbox = Mailbox()
        context = None
        if tls != "none":
            assert certificate is not None
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*certificate)
        self._server = _Server(self.mailbox, tls, context)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> ImapServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _point_settings_at(settings, server: ImapServer, *, ssl_on: bool) -> None:
    settings.PATRON_IMAP_HOST = "127.0.0.1"
    settings.PATRON_IMAP_PORT = server.port
    settings.PATRON_IMAP_USER = server.mailbox.user
    settings.PATRON_IMAP_PASSWORD = server.mailbox.password
    settings.PATRON_IMAP_FOLDER = "INBOX"
    settings.PATRON_IMAP_SSL = ssl_on


@pytest.fixture
def imap_server(settings):
    """A live IMAP server on 127.0.0.1; the PATRON_IMAP_* settings point at it."""
    server = ImapServer().start()
    _point_settings_at(settings, server, ssl_on=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["starttls", "implicit"])
def imap_tls_server(request, settings, tmp_path, monkeypatch):
    """The server over TLS (STARTTLS with PATRON_IMAP_SSL off, IMAPS with it on), with a
    certificate the client trusts through SSL_CERT_FILE, as a private CA would be."""
    if shutil.which("openssl") is None:
        pytest.fail("the openssl tool makes the test certificate: `make test` installs it")
    certificate = make_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    server = ImapServer(tls=request.param, certificate=certificate).start()
    _point_settings_at(settings, server, ssl_on=request.param == "implicit")
    try:
        yield server
    finally:
        server.stop()
