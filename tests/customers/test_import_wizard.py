"""The import wizard and the import/export API, through real requests."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from patron.customers.models import Customer, CustomerImport
from tests.conftest import assert_error_shape

CSV = (
    "Customer ID;Given Name;Surname;E-mail;Phone;Country\n"
    "k1;Ani;Nor;ani@example.am;091 234567;AM\n"
    "k2;Bad;Mail;nope;;AM\n"
)


def upload(client, content=CSV, name="people.csv", encoding="utf-8"):
    file = SimpleUploadedFile(name, content.encode(encoding), content_type="text/csv")
    return client.post("/customers/import/", {"file": file, "encoding": "utf-8"})


@pytest.mark.django_db
def test_wizard_upload_map_check_run_and_download_rejects(
    client, agent, django_capture_on_commit_callbacks
):
    client.force_login(agent)
    assert "Import customers" in client.get("/customers/import/").content.decode()
    response = upload(client)
    job = CustomerImport.objects.get()
    assert response["Location"] == f"/customers/import/{job.pk}/mapping/"
    page = client.get(response["Location"]).content.decode()
    assert "Customer ID" in page and "ani@example.am" in page
    # Suggested: E-mail → email, Given Name → first_name; the rest is chosen here.
    mapping = {
        "map-0": "external_id",
        "map-1": "first_name",
        "map-2": "last_name",
        "map-3": "email",
        "map-4": "phone",
        "map-5": "country",
        "system": "crm",
        "default_country": "",
    }
    response = client.post(f"/customers/import/{job.pk}/mapping/", mapping)
    assert response.status_code == 302
    preview = client.get(f"/customers/import/{job.pk}/").content.decode()
    assert 'data-testid="import-preview"' in preview
    assert "“nope” is not a valid email address" in preview
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/customers/import/{job.pk}/start/", {"dry_run": "1"})
    job.refresh_from_db()
    assert job.status == "checked"
    assert (job.check_report["created"], job.check_report["rejected"]) == (1, 1)
    assert not Customer.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/customers/import/{job.pk}/start/", {"dry_run": "0"})
    job.refresh_from_db()
    assert job.status == "done"
    ani = Customer.objects.get()
    assert ani.identifiers.get().system == "crm"
    assert ani.team == agent.teams.first()
    rejects = client.get(f"/customers/import/{job.pk}/rejects/")
    body = b"".join(rejects.streaming_content).decode()
    assert "3,email:" in body and "k2;" not in body
    again = client.post(f"/customers/import/{job.pk}/start/", {"dry_run": "0"}, follow=True)
    assert "imported already" in again.content.decode()


@pytest.mark.django_db
def test_mapping_refuses_two_columns_on_one_field_and_a_file_without_a_key(client, agent):
    client.force_login(agent)
    upload(client)
    job = CustomerImport.objects.get()
    twice = {"map-0": "email", "map-3": "email", "system": "import"}
    page = client.post(f"/customers/import/{job.pk}/mapping/", twice).content.decode()
    assert "are mapped to email" in page
    none = {"map-1": "first_name", "system": "import"}
    page = client.post(f"/customers/import/{job.pk}/mapping/", none).content.decode()
    assert "Map a column to external_id or to email." in page


@pytest.mark.django_db
def test_upload_errors_are_shown_on_the_form(client, agent):
    client.force_login(agent)
    page = upload(client, content="").content.decode()
    assert "The file is empty." in page or "submitted file is empty" in page
    bad = upload(client, content="external_id,first_name\nz1,Zoë\n", encoding="cp1252")
    assert "is not valid UTF-8" in bad.content.decode()
    assert not CustomerImport.objects.exists()


@pytest.mark.django_db
def test_imports_are_private_to_their_creator(client, agent, other_agent, viewer):
    client.force_login(agent)
    upload(client)
    job = CustomerImport.objects.get()
    client.force_login(other_agent)
    assert client.get(f"/customers/import/{job.pk}/").status_code == 404
    assert client.get(f"/customers/import/{job.pk}/rejects/").status_code == 404
    client.force_login(viewer)
    assert client.get("/customers/import/").status_code == 403


@pytest.mark.django_db
def test_api_import_and_export(api_for, agent, other_agent, django_capture_on_commit_callbacks):
    api = api_for(agent)
    file = SimpleUploadedFile("people.csv", CSV.replace(";", ",").encode(), "text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.client.post(
            "/api/v1/customers/imports",
            {"file": file, "start": "true"},
            HTTP_AUTHORIZATION=f"Bearer {api.token}",
        )
    assert response.status_code == 201, response.content
    body = api.get(f"/api/v1/customers/imports/{response.json()['id']}").json()
    assert body["mapping"]["E-mail"] == "email"
    assert body["status"] == "done"
    assert (body["report"]["created"], body["report"]["rejected"]) == (1, 1)
    rejects = api.get(f"/api/v1/customers/imports/{body['id']}/rejects")
    assert b"nope" in b"".join(rejects.streaming_content)
    assert_error_shape(api_for(other_agent).get(f"/api/v1/customers/imports/{body['id']}"), 404)
    exported = api.get("/api/v1/customers/export?format=csv")
    text = b"".join(exported.streaming_content).decode()
    assert text.splitlines()[0].startswith("external_id,kind,first_name")
    assert "ani@example.am" in text
    vcards = b"".join(api.get("/api/v1/customers/export?format=vcard").streaming_content)
    assert b"FN:Ani Nor" in vcards
    assert_error_shape(api.get("/api/v1/customers/export?format=xls"), 422)
    # Nothing of another team leaks into an export.
    assert b"ani@example.am" not in b"".join(
        api_for(other_agent).get("/api/v1/customers/export").streaming_content
    )


@pytest.mark.django_db
def test_export_from_the_list_follows_its_filters(
    client, agent, django_capture_on_commit_callbacks
):
    client.force_login(agent)
    upload(client)
    job = CustomerImport.objects.get()
    client.post(
        f"/customers/import/{job.pk}/mapping/",
        {
            "map-0": "external_id",
            "map-1": "first_name",
            "map-2": "last_name",
            "map-3": "email",
            "map-5": "country",
            "system": "import",
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/customers/import/{job.pk}/start/", {"dry_run": "0"})
    all_rows = b"".join(client.get("/customers/export.csv").streaming_content).decode()
    assert "ani@example.am" in all_rows
    none = b"".join(client.get("/customers/export.csv?q=zzzz").streaming_content).decode()
    assert len(none.strip().splitlines()) == 1  # the header alone


def test_an_encoding_that_is_no_name_at_all_is_refused_clearly(api_for, agent):
    """A NUL inside the encoding (found by the API fuzzer) is an unknown encoding (422)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api_for(agent)
    upload = SimpleUploadedFile("c.csv", b"external_id,first_name\nX1,Ani\n", "text/csv")
    response = client.client.post(
        "/api/v1/customers/imports",
        {"file": upload, "encoding": "utf\x008"},
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )
    assert response.status_code == 422, response.content
    assert "encoding" in response.json()["error"]["details"]
