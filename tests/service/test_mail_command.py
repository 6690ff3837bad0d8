"""`patron mail ingest`: files, directories, Maildirs and mbox; lines, JSON, exit codes."""

import io
import json
import mailbox
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from patron.service.models import Ticket, TicketMessage
from tests.processes import clean_env, run_patron
from tests.service.factories import add_email

DATA = Path(__file__).parent / "data" / "mail"
GOOD = ["plain.eml", "alternative.eml", "html_only.eml", "windows1252.eml", "auto_reply.eml"]


def ingest(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("mail", "ingest", *map(str, args), stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


@pytest.fixture
def inbox(tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    for name in GOOD:
        shutil.copy(DATA / name, folder / name)
    (folder / "notes.txt").write_text("not a message")
    return folder


@pytest.mark.django_db
def test_a_directory_then_again(inbox, north_customer):
    add_email(north_customer, "ani@example.com")
    out, _err, error = ingest(inbox)
    assert error is None, out
    lines = out.strip().splitlines()
    assert len(lines) == 6  # five messages and the summary; notes.txt is not a message
    assert [Path(line.split(":")[0]).name for line in lines[:5]] == sorted(GOOD)
    assert "plain.eml: created ticket #" in out
    assert "(new prospect)" in out  # alternative.eml, html_only.eml … are unknown senders
    assert "auto_reply.eml: skipped" in out and "Auto-Submitted" in out
    assert lines[-1] == "5 message(s): 4 created, 0 appended, 0 duplicate, 1 skipped, 0 rejected"
    assert Ticket.objects.count() == 4
    again, _err, error = ingest(inbox)
    assert error is None
    assert again.strip().splitlines()[-1] == (
        "5 message(s): 0 created, 0 appended, 4 duplicate, 1 skipped, 0 rejected"
    )
    assert "already imported" in again
    assert Ticket.objects.count() == 4 and TicketMessage.objects.count() == 4


@pytest.mark.django_db
def test_json_report_and_exit_code_on_rejects(inbox):
    (inbox / "zz_broken.eml").write_bytes(b"\r\n\r\nno headers at all")
    (inbox / "aa_empty.eml").write_bytes(b"")
    out, _err, error = ingest(inbox, "--json")
    assert error is not None and error.returncode == 1 and "2 message(s) rejected" in str(error)
    report = json.loads(out)
    assert report["summary"] == {
        "created": 4,
        "appended": 0,
        "duplicate": 0,
        "skipped": 1,
        "rejected": 2,
    }
    by_file = {Path(row["file"]).name: row for row in report["messages"]}
    assert by_file["zz_broken.eml"]["status"] == "rejected"
    assert "no headers" in by_file["zz_broken.eml"]["reason"]
    assert by_file["aa_empty.eml"]["reason"] == "The message is empty."
    plain = by_file["plain.eml"]
    assert plain["status"] == "created" and plain["created_customer"] is True
    assert plain["message_id"] == "<CAplain.0001@mail.example.com>"
    assert Ticket.objects.filter(pk=plain["ticket_id"]).exists()
    # The bad messages blocked none of the good ones.
    assert Ticket.objects.count() == 4


@pytest.mark.django_db
def test_recursive_maildir_single_files_and_mbox(tmp_path, settings):
    nested = tmp_path / "top" / "sub"
    nested.mkdir(parents=True)
    shutil.copy(DATA / "plain.eml", tmp_path / "top" / "one.eml")
    shutil.copy(DATA / "forwarded.eml", nested / "two.eml")
    out, _err, _error = ingest(tmp_path / "top")
    assert "one.eml: created" in out and "two.eml" not in out
    out, _err, _error = ingest(tmp_path / "top", "--recursive")
    assert "one.eml: duplicate" in out and "two.eml: created" in out

    maildir = tmp_path / "Maildir"
    for part in ("new", "cur", "tmp"):
        (maildir / part).mkdir(parents=True)
    shutil.copy(DATA / "html_only.eml", maildir / "new" / "1733200000.M1P1.host")
    shutil.copy(DATA / "arabic.eml", maildir / "cur" / "1733100000.M2P2.host:2,S")
    shutil.copy(DATA / "bounce.eml", maildir / "tmp" / "half-delivered")
    out, _err, _error = ingest(maildir)
    assert out.count(": created") == 2 and "half-delivered" not in out

    box_path = tmp_path / "archive.mbox"
    box = mailbox.mbox(box_path)
    for name in ("windows1252.eml", "no_message_id.eml", "plain.eml"):
        box.add((DATA / name).read_bytes())
    box.close()
    single = tmp_path / "message-without-extension"
    shutil.copy(DATA / "latin1_mislabeled.eml", single)
    out, _err, error = ingest(single, "--mbox", box_path)
    assert error is None
    assert f"{single}: created" in out
    assert f"{box_path}#1: created" in out and f"{box_path}#2: created" in out
    assert f"{box_path}#3: duplicate" in out


@pytest.mark.django_db
def test_too_large_files_are_not_read(tmp_path, settings):
    settings.PATRON_MAIL_MAX_MB = 1
    big = tmp_path / "big.eml"
    big.write_bytes(b"From: a@example.com\r\n\r\n" + b"x" * (3 * 1024 * 1024))
    out, _err, error = ingest(big)
    assert error is not None and error.returncode == 1
    assert "big.eml: rejected — The message is too large (3.0 MB; the limit is 1.0 MB)." in out


@pytest.mark.django_db
def test_clear_errors_for_wrong_paths(tmp_path):
    _out, _err, error = ingest(tmp_path / "nowhere", tmp_path / "neither.eml")
    assert "No such file or directory:" in str(error) and "nowhere" in str(error)
    _out, _err, error = ingest("--mbox", tmp_path)
    assert "--mbox needs a file" in str(error)
    with pytest.raises(CommandError, match="at least one PATH"):
        call_command("mail", "ingest")
    empty = tmp_path / "empty"
    empty.mkdir()
    out, err, error = ingest(empty)
    assert error is None and "No .eml files in" in err
    assert out.strip() == "0 message(s): 0 created, 0 appended, 0 duplicate, 0 skipped, 0 rejected"


def test_the_real_command(tmp_path):
    """The `patron mail` entry point, in its own process on its own database."""
    env = clean_env(tmp_path / "data", PATRON_HTTPS="0")
    missing = run_patron("mail", "ingest", str(tmp_path / "nope.eml"), env=env)
    assert missing.returncode == 1 and "No such file or directory" in missing.stderr
    assert run_patron("migrate", env=env).returncode == 0
    done = run_patron("mail", "ingest", str(DATA / "plain.eml"), "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["messages"][0]["status"] == "created"
    rejected = run_patron("mail", "ingest", str(DATA / "plain.eml"), str(DATA), env=env)
    assert rejected.returncode == 0  # duplicates and skipped messages are no failure
    assert "plain.eml: duplicate" in rejected.stdout
