"""The customer import: real files through the real engine, CLI and database."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from patron.core.models import AuditEntry
from patron.customers.importing import ImportOptions, import_customers
from patron.customers.models import (
    ContactPoint,
    Customer,
    CustomField,
    ExternalIdentifier,
    Membership,
    SearchTerm,
    Tag,
)
from tests.factories import UserFactory

HEADER = (
    "external_id,kind,first_name,last_name,organization_name,organization_external_id,title,"
    "email,phone,country,city,address,language,owner_email,lifecycle_stage,tags,created_at"
)


def run(text, *, file_encoding="utf-8", raw=None, **options):
    data = raw if raw is not None else text.encode(file_encoding)
    rejects = io.StringIO()
    report = import_customers(
        io.BytesIO(data), options=ImportOptions(**options), rejects_out=rejects
    )
    return report, rejects.getvalue()


def table_counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Customer,
            ContactPoint,
            ExternalIdentifier,
            Membership,
            SearchTerm,
            Tag,
            AuditEntry,
        )
    } | {"tags": Customer.tags.through.objects.count()}


GOOD = f"""{HEADER}
c1,person,José,García,Acme SA,org1,CEO,Jose@Acme.es,+34 612 345 678,ES,Madrid,\
Calle Mayor 1,es,,customer,vip|spain,2021-03-01
c2,person,Ани,Нор,,,,ani@example.am,091 234567,AM,Yerevan,,hy,,prospect,,
org1,organization,,,Acme SA,,,info@acme.es,,ES,Madrid,,,,customer,wholesale,
"""


@pytest.mark.django_db
def test_import_creates_people_organizations_and_everything_they_hold(agent):
    report, _rejects = run(GOOD.replace(",,customer,vip", f",{agent.email},customer,vip"))
    assert (report.created, report.updated, report.rejected, report.error) == (3, 0, 0, "")
    jose = Customer.objects.get(identifiers__value="c1")
    assert jose.display_name == "José García"
    assert (jose.owner, jose.team) == (agent, agent.teams.first())
    assert jose.created_at.year == 2021
    assert sorted(jose.tags.values_list("name", flat=True)) == ["spain", "vip"]
    emails = list(jose.contact_points.filter(kind="email").values_list("value", "preferred"))
    assert emails == [("jose@acme.es", True)]
    assert jose.contact_points.get(kind="phone").value == "+34612345678"
    address = jose.contact_points.get(kind="address")
    assert (address.value, address.city, address.country) == ("Calle Mayor 1", "Madrid", "ES")
    membership = Membership.objects.get(person=jose)
    assert (membership.organization.display_name, membership.title) == ("Acme SA", "CEO")
    assert membership.organization.identifiers.get().value == "org1"
    ani = Customer.objects.get(identifiers__value="c2")
    assert ani.contact_points.get(kind="phone").value == "+37491234567"  # national + country
    assert AuditEntry.objects.filter(target_id=str(jose.pk), action="create").exists()


@pytest.mark.django_db
def test_reimporting_the_same_file_changes_nothing(db):
    run(GOOD)
    before = table_counts()
    second, _ = run(GOOD)
    assert (second.created, second.updated, second.unchanged, second.rejected) == (0, 0, 3, 0)
    assert table_counts() == before


@pytest.mark.django_db
def test_a_changed_row_updates_only_what_the_file_says(db):
    run(GOOD)
    changed = f"{HEADER}\nc2,,,Nor-Petrosyan,,,,ani.new@example.am,,,,,,,customer,,\n"
    report, _ = run(changed)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    ani = Customer.objects.get(identifiers__value="c2")
    assert ani.given_name == "Ани"  # an empty cell leaves the value alone
    assert ani.display_name == "Ани Nor-Petrosyan"
    assert ani.lifecycle_stage == "customer"
    assert ani.version == 2
    emails = sorted(ani.contact_points.filter(kind="email").values_list("value", flat=True))
    assert emails == ["ani.new@example.am", "ani@example.am"]
    entry = AuditEntry.objects.filter(target_id=str(ani.pk), action="update").get()
    assert {"field": "family_name", "old": "Нор", "new": "Nor-Petrosyan"} in entry.changes
    # The new name and email are searchable at once.
    assert SearchTerm.objects.filter(customer=ani, term="nor").exists()


@pytest.mark.django_db
def test_every_bad_row_is_reported_with_its_line_and_every_reason(db):
    UserFactory(email="owner@example.com")
    text = f"""{HEADER}
ok1,person,Ani,Nor,,,,ani@example.am,,,,,,owner@example.com,,,
bad1,person,Bad,Row,,,,not-an-email,12345,AM,,,,nobody@example.com,weird,,2999-01-01
ok1,person,Twice,Same,,,,twice@example.am,,,,,,,,,
,person,No,Key,,,,,,,,,,,,,
bad2,organization,,,,,,,,XX,,,zz-nope,,,,
"""
    report, rejects = run(text)
    assert (report.created, report.rejected) == (1, 4)
    by_line = {r.line: r.reason for r in report.rejects}
    assert set(by_line) == {3, 4, 5, 6}
    assert "email: “not-an-email” is not a valid email address" in by_line[3]
    assert "phone:" in by_line[3]
    assert "owner_email: no active user “nobody@example.com”" in by_line[3]
    assert "lifecycle_stage: “weird”" in by_line[3]
    assert "created_at: the date is in the future" in by_line[3]
    assert "already appeared on line 2" in by_line[4]
    assert "give an external_id, email or phone" in by_line[5]
    assert "organization_name: an organization needs a name" in by_line[6]
    assert "country: “XX”" in by_line[6]
    assert "language: “zz-nope”" in by_line[6]
    lines = rejects.splitlines()
    assert lines[0].startswith("import_line,import_error,external_id")
    assert [line.split(",")[0] for line in lines[1:]] == ["3", "4", "5", "6"]


@pytest.mark.django_db
def test_bom_semicolons_and_quoted_newlines(db):
    text = (
        "external_id;first_name;last_name;address;email\n"
        'a1;Ani;Nor;"Line one\nLine two";ani@example.am\n'
        "a2;Bad;Mail;;nope\n"
    )
    report, _ = run(None, raw=b"\xef\xbb\xbf" + text.encode())
    assert (report.created, report.rejected) == (1, 1)
    # The second record starts on line 4: the quoted address spans lines 2 and 3.
    assert report.rejects[0].line == 4
    ani = Customer.objects.get(identifiers__value="a1")
    assert ani.contact_points.get(kind="address").value == "Line one Line two"


@pytest.mark.django_db
def test_a_ten_megabyte_field_is_refused_with_its_size_and_the_rest_imports(db):
    huge = "x" * (10 * 1024 * 1024)
    text = (
        "external_id,first_name,address,email\n"
        f"h1,Huge,{huge},h@example.com\nh2,Fine,,f@example.com\n"
    )
    report, _ = run(text)
    assert (report.created, report.rejected) == (1, 1)
    assert "address: at most 500 characters (this one has 10485760)" in report.rejects[0].reason


@pytest.mark.django_db
def test_a_file_in_another_encoding_gets_a_clear_error_and_imports_with_its_encoding(db):
    text = "external_id,first_name,last_name,email\nw1,Zoë,Müller,zoe@example.de\n"
    report, _ = run(text, file_encoding="cp1252")
    assert report.error.startswith("Line 2 is not valid UTF-8")
    assert "--encoding cp1252" in report.error
    assert not Customer.objects.exists()
    report, _ = run(text, file_encoding="cp1252", encoding="cp1252")
    assert report.created == 1
    assert Customer.objects.get().display_name == "Zoë Müller"


@pytest.mark.django_db
def test_a_file_without_any_key_column_is_refused_up_front(db):
    report, _ = run("first_name,last_name\nAni,Nor\n")
    assert report.error_line == 1
    assert "neither an external_id nor an email column" in report.error
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_unknown_columns_are_reported_once_and_custom_fields_are_filled(db):
    CustomField.objects.create(key="shoe_size", label="Shoe size", field_type="number")
    text = "external_id,first_name,shoe_size,favourite_colour\ns1,Ani,38,red\ns2,Bob,big,blue\n"
    report, _ = run(text)
    assert report.warnings == ["Ignored columns (no such field or custom field): favourite_colour"]
    assert Customer.objects.get(identifiers__value="s1").custom_fields == {"shoe_size": 38}
    assert report.rejects[0].reason.startswith("shoe_size: “big” is not a number")


@pytest.mark.django_db
def test_rows_without_an_external_id_are_recognised_by_email(db):
    text = "email,first_name,last_name\nani@example.am,Ani,Nor\n"
    assert run(text)[0].created == 1
    report, _ = run(text.replace("Nor", "Norян"))
    assert (report.created, report.updated) == (0, 1)
    assert Customer.objects.get().family_name == "Norян"


@pytest.mark.django_db
def test_dry_run_counts_and_saves_nothing(db):
    report, _ = run(GOOD, dry_run=True)
    assert (report.created, report.rejected) == (3, 0)
    assert not Customer.objects.exists()
    assert not Tag.objects.exists()


@pytest.mark.django_db
def test_the_system_option_keeps_ids_of_different_systems_apart(db):
    run(GOOD)
    report, _ = run(GOOD, system="erp")
    assert report.created == 3
    assert ExternalIdentifier.objects.filter(system="erp").count() == 3


def _install_failing_trigger():
    """Make the database itself refuse one customer, as a crash mid-batch would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_boom() RETURNS trigger AS $$ BEGIN "
                "IF NEW.given_name = 'BOOM' THEN RAISE EXCEPTION 'boom'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER boom BEFORE INSERT ON customers_customer "
                "FOR EACH ROW EXECUTE FUNCTION refuse_boom()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER boom BEFORE INSERT ON customers_customer "
                "WHEN NEW.given_name = 'BOOM' BEGIN SELECT RAISE(ABORT, 'boom'); END"
            )


@pytest.mark.django_db
def test_a_batch_the_database_refuses_is_rolled_back_whole_and_reported(db):
    _install_failing_trigger()
    rows = [f"b{n},Good{n},Person,p{n}@example.com" for n in range(1, 7)]
    rows[4] = "b5,BOOM,Person,p5@example.com"  # in the second batch of three
    text = "external_id,first_name,last_name,email\n" + "\n".join(rows) + "\n"
    report, rejects = run(text, batch_size=3)
    # Batch one is saved; batch two (lines 5-7) is refused whole, with no partial rows.
    assert report.created == 3
    assert report.rejected == 3
    assert sorted(Customer.objects.values_list("given_name", flat=True)) == [
        "Good1",
        "Good2",
        "Good3",
    ]
    assert ContactPoint.objects.count() == 3
    assert SearchTerm.objects.filter(term="good4").count() == 0
    assert [r.line for r in report.rejects] == [5, 6, 7]
    assert "the database refused this batch (lines 5–7)" in report.rejects[0].reason
    assert len(list(csv.reader(io.StringIO(rejects)))) == 4


@pytest.mark.django_db
def test_an_interrupted_import_keeps_whole_batches_and_a_rerun_completes_it(db):
    rows = "\n".join(f"i{n},Name{n},Family,i{n}@example.com" for n in range(1, 2501))
    data = ("external_id,first_name,last_name,email\n" + rows + "\n").encode()

    class Interrupted(io.BytesIO):
        """Ctrl-C arrives while the file is being read, after the first batch."""

        def __iter__(self):
            for number, line in enumerate(io.BytesIO(self.getvalue())):
                if number == 1800:
                    raise KeyboardInterrupt
                yield line

    with pytest.raises(KeyboardInterrupt):
        import_customers(Interrupted(data), options=ImportOptions(batch_size=1000))
    assert Customer.objects.count() == 1000
    report = import_customers(io.BytesIO(data), options=ImportOptions(batch_size=1000))
    assert (report.created, report.unchanged) == (1500, 1000)


@pytest.mark.django_db
def test_an_agent_cannot_update_another_teams_customer_by_import(agent, south_customer):
    ExternalIdentifier.objects.create(customer=south_customer, system="import", value="s9")
    report = import_customers(
        io.BytesIO(b"external_id,first_name,last_name\ns9,Hijack,Attempt\nn1,New,One\n"),
        actor=agent,
    )
    assert (report.created, report.rejected) == (1, 1)
    assert "belongs to a team you are not in" in report.rejects[0].reason
    south_customer.refresh_from_db()
    assert south_customer.given_name == "Sami"
    assert Customer.objects.get(identifiers__value="n1").team == agent.teams.first()


@pytest.mark.django_db
def test_checking_in_worker_processes_gives_the_same_result(db):
    rows = "\n".join(f"r{n},Name{n},Family,r{n}@example.com" for n in range(2500))
    text = "external_id,first_name,last_name,email\n" + rows + "\nbad,X,Y,nope\n"
    report, _ = run(text, workers=2, batch_size=700)
    assert (report.created, report.rejected) == (2500, 1)
    assert report.rejects[0].line == 2502


def test_workers_never_deadlock_on_results_larger_than_the_pipe(db):
    # Chunks of checked rows far larger than a pipe's buffer, many in flight at once:
    # the parent sending while a worker sends back must not wait on each other.
    address = "x" * 480
    rows = "\n".join(f"r{n},Name{n},Family,r{n}@example.com,{address}" for n in range(3000))
    report, _ = run("external_id,first_name,last_name,email,address\n" + rows, workers=2)
    assert (report.created, report.rejected) == (3000, 0)


@pytest.mark.django_db
def test_cli_import_and_export_round_trip(tmp_path, capsys, db):
    source = tmp_path / "customers.csv"
    source.write_text(GOOD + "bad,person,X,Y,,,,nope,,,,,,,,,\n", encoding="utf-8")
    call_command("importdata", "customers", str(source), "--quiet")
    out = capsys.readouterr().out
    assert "created 3, updated 0, unchanged 0, rejected 1" in out
    rejects = Path(f"{source}.rejects.csv").read_text(encoding="utf-8")
    assert "\n5,email:" in rejects
    exported = tmp_path / "out.csv"
    call_command("exportdata", "customers", str(exported))
    text = exported.read_text(encoding="utf-8")
    assert "José" in text and "jose@acme.es" in text
    call_command("importdata", "customers", str(exported), "--quiet")
    assert "created 0, updated 0, unchanged 3, rejected 0" in capsys.readouterr().out
    call_command("exportdata", "customers", str(tmp_path / "people.vcf"), "--vcard")
    vcards = (tmp_path / "people.vcf").read_text(encoding="utf-8")
    assert vcards.count("BEGIN:VCARD") == 2
    assert "TEL;TYPE=VOICE:+34612345678" in vcards


@pytest.mark.django_db
def test_cli_dry_run_saves_nothing(tmp_path, capsys, db):
    source = tmp_path / "customers.csv"
    source.write_text(GOOD, encoding="utf-8")
    call_command("importdata", "customers", str(source), "--dry-run", "--quiet")
    assert "Dry run, nothing saved: 3 rows" in capsys.readouterr().out
    assert not Customer.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_large_import_refreshes_postgresql_planner_statistics(monkeypatch):
    from patron.customers import importing

    monkeypatch.setattr(importing, "ANALYZE_AFTER_ROWS", 2)
    rows = "\n".join(f"s{n},Stat{n},Family,s{n}@example.com" for n in range(3))
    report, _ = run("external_id,first_name,last_name,email\n" + rows)
    assert report.created == 3
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'customers_searchterm'"
        )
        assert cursor.fetchone()[0] is not None
