"""The Import Wizard's pages: upload, mapping, preview, commit, result, downloads."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from items.models import ImportJob, Item
from items.services import imports
from items.services.imports import preview_import, upload_import

pytestmark = pytest.mark.django_db

CATALOG = (
    "Item Number,Category Name,Item Description,Vendor,Vendor Name,Bottle Volume (ml),Pack,UPC,State Bottle Cost\n"
    "87510,100% AGAVE TEQUILA,1800 SILVER,395,PROXIMO,750,12,811538010139,16.50\n"
    "87509,100% AGAVE TEQUILA,1800 SILVER,395,PROXIMO,375,12,811538010122,9.25\n"
    "=HYPERLINK(\"x\"),AMERICAN SCHNAPPS,99 BANANAS,421,SAZERAC COMPANY  INC,big,48,89000620104,0.89\n"
)


def upload(client, data: str | bytes = CATALOG, name="iowa-slice.csv", **fields):
    content = data.encode() if isinstance(data, str) else data
    return client.post(reverse("items:imports:index"), {"file": SimpleUploadedFile(name, content), **fields})


def previewed_job(tenant, data: str = CATALOG) -> ImportJob:
    job = upload_import(actor=tenant.manager, organization=tenant.organization, venue=tenant.venue,
                        file_name="iowa-slice.csv", data=data.encode())  # fmt: skip
    return preview_import(actor=tenant.manager, organization=tenant.organization, job=job)


def test_staff_get_403_on_every_page_of_the_wizard(tenant, client_for):
    job = previewed_job(tenant)
    client = client_for(tenant.staff)

    urls = [reverse("items:imports:index")] + [
        reverse(f"items:imports:{name}", args=[job.pk])
        for name in ("detail", "mapping", "commit", "progress", "rejected_csv", "file")
    ]  # fmt: skip

    assert {url: client.get(url).status_code for url in urls} == {url: 403 for url in urls}
    assert client.post(reverse("items:imports:commit", args=[job.pk])).status_code == 403
    assert not Item.objects.exists()


def test_uploading_a_catalog_maps_its_columns_and_shows_sample_values(tenant, client_for):
    client = client_for(tenant.manager)

    response = upload(client, venue=tenant.venue.pk)

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("items:imports:mapping", args=[job.pk])
    assert job.file.name.startswith(f"org-{tenant.organization.pk}/imports/")
    page = client.get(response["Location"]).content.decode()
    assert '<option value="name" selected>Name</option>' in page  # Item Description
    assert '<option value="size_ml" selected>Size in ml</option>' in page
    assert "PROXIMO" in page and "811538010139" in page  # sample values
    assert "“Vendor” holds numbers" in page


def test_a_file_of_the_wrong_type_is_refused_on_the_upload_form(tenant, client_for):
    client = client_for(tenant.manager)

    response = upload(client, b"%PDF-1.4 fake invoice", name="catalog.csv", venue=tenant.venue.pk)

    assert response.status_code == 400
    assert "The file is a PDF document, not a CSV or XLSX catalog." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_over_the_limit_is_refused_before_it_is_read(tenant, client_for, monkeypatch):
    import items.views_import

    monkeypatch.setattr(items.views_import, "MAX_IMPORT_BYTES", 100)
    client = client_for(tenant.manager)

    response = upload(client, CATALOG * 2, venue=tenant.venue.pk)

    assert response.status_code == 400
    assert "the limit is 20 MB" in response.content.decode()


def test_posting_the_mapping_shows_the_preview_with_every_rejected_row_and_its_reason(tenant, client_for):
    job = upload_import(actor=tenant.manager, organization=tenant.organization, venue=tenant.venue,
                        file_name="iowa-slice.csv", data=CATALOG.encode())  # fmt: skip
    client = client_for(tenant.manager)
    mapping = {f"column-{i}": job.column_mapping.get(h, "") for i, h in enumerate(job.headers)}

    response = client.post(reverse("items:imports:mapping", args=[job.pk]), mapping, follow=True)

    page = response.content.decode()
    job.refresh_from_db()
    assert (job.status, job.created_count, job.rejected_count) == ("previewed", 2, 1)
    assert "Row 3: size &#x27;big&#x27; is not a size (e.g. 750ML, 1.75L, 12OZ, 1/2 BBL)" in page
    assert 'data-testid="count-created"><div class="stat">2</div>' in page
    assert not Item.objects.exists()


def test_a_mapping_that_cannot_work_is_refused_with_the_reason(tenant, client_for):
    job = upload_import(actor=tenant.manager, organization=tenant.organization, venue=tenant.venue,
                        file_name="iowa-slice.csv", data=CATALOG.encode())  # fmt: skip
    client = client_for(tenant.manager)
    mapping = {f"column-{i}": job.column_mapping.get(h, "") for i, h in enumerate(job.headers)}
    mapping["column-4"] = "name"  # Vendor Name, as well as Item Description

    response = client.post(reverse("items:imports:mapping", args=[job.pk]), mapping)

    assert response.status_code == 400
    assert "are both mapped to name; keep one." in response.content.decode()
    job.refresh_from_db()
    assert job.status == "uploaded"


def test_the_preview_filters_rows_by_action_and_htmx_gets_only_the_table(tenant, client_for):
    job = previewed_job(tenant)
    client = client_for(tenant.manager)
    url = reverse("items:imports:detail", args=[job.pk])

    page = client.get(url, {"action": "rejected"}).content.decode()
    region = client.get(url, {"action": "created", "region": "rows"}, headers={"HX-Request": "true"}).content.decode()

    assert page.count('data-testid="import-row"') == 1 and "99 BANANAS" in page
    assert region.count('data-testid="import-row"') == 2 and "99 BANANAS" not in region
    assert region.lstrip().startswith('<section id="import-rows"')


def test_committing_a_small_file_imports_it_at_once_and_shows_the_result(tenant, client_for):
    job = previewed_job(tenant)
    client = client_for(tenant.manager)

    confirm = client.get(reverse("items:imports:commit", args=[job.pk])).content.decode()
    response = client.post(reverse("items:imports:commit", args=[job.pk]), follow=True)

    assert "create 2 items" in confirm
    page = response.content.decode()
    assert "Imported iowa-slice.csv: 2 created, 0 updated, 0 unchanged, 1 rejected." in page
    assert 'data-testid="count-created"><div class="stat">2</div><div class="stat-label">items created' in page
    assert sorted(Item.objects.values_list("size_label", flat=True)) == ["375ML", "750ML"]
    item = Item.objects.get(size_label="750ML")
    assert reverse("items:detail", args=[item.pk]) in page


def test_the_rejected_rows_report_has_the_row_its_original_values_and_the_error(tenant, client_for):
    job = previewed_job(tenant)
    client = client_for(tenant.manager)

    response = client.get(reverse("items:imports:rejected_csv", args=[job.pk]))

    assert response["Content-Disposition"] == 'attachment; filename="iowa-slice-rejected-rows.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["Row", "Item Number", "Category Name", "Item Description", "Vendor", "Vendor Name", "Bottle Volume (ml)",
         "Pack", "UPC", "State Bottle Cost", "Error"],
        ["3", "'=HYPERLINK(\"x\")", "AMERICAN SCHNAPPS", "99 BANANAS", "421", "SAZERAC COMPANY INC", "big", "48",
         "89000620104", "0.89", "Row 3: size 'big' is not a size (e.g. 750ML, 1.75L, 12OZ, 1/2 BBL)"],
    ]  # fmt: skip


def test_the_uploaded_file_is_served_only_through_the_wizard(tenant, client_for):
    job = previewed_job(tenant)
    client = client_for(tenant.manager)

    response = client.get(reverse("items:imports:file", args=[job.pk]))

    assert b"".join(response.streaming_content).decode() == CATALOG
    assert 'filename="iowa-slice.csv"' in response["Content-Disposition"]


def test_a_large_file_is_queued_and_the_page_shows_its_progress(tenant, client_for, django_capture_on_commit_callbacks):
    rows = "".join(f"{90000 + n},AMERICAN VODKAS,HOUSE VODKA {n},1,HOUSE,750,12,,9.99\n" for n in range(imports.ASYNC_ROWS))
    job = previewed_job(tenant, CATALOG.split("\n", 1)[0] + "\n" + rows)
    client = client_for(tenant.manager)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("items:imports:commit", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == ImportJob.Status.COMMITTING
    assert len(callbacks) == 1  # the task is sent when the claim commits
    imports._report_progress(job.pk, "saving", 250, 500)
    page = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert "Saving items: 250 of 500" in page and 'value="75"' in page
    assert client.post(reverse("items:imports:commit", args=[job.pk])).status_code == 302  # no second claim
    assert ImportJob.objects.get().status == ImportJob.Status.COMMITTING
    cache.delete(f"items:import:{job.pk}:progress")


def test_the_progress_region_reloads_the_page_once_the_import_is_done(tenant, client_for):
    job = previewed_job(tenant)
    client = client_for(tenant.manager)
    client.post(reverse("items:imports:commit", args=[job.pk]))

    response = client.get(reverse("items:imports:progress", args=[job.pk]), headers={"HX-Request": "true"})

    assert response["HX-Refresh"] == "true"


def test_past_imports_are_listed_newest_first(tenant, client_for):
    previewed_job(tenant)
    client = client_for(tenant.manager)

    page = client.get(reverse("items:imports:index")).content.decode()

    assert "iowa-slice.csv" in page
    assert "Previewed — not imported yet" in page


def test_the_list_and_the_preview_take_the_same_number_of_queries_however_many_imports_and_rows(
    tenant, client_for, django_assert_num_queries
):
    client = client_for(tenant.manager)
    client.get(reverse("items:imports:index"))  # the first request of a session also saves it
    first = previewed_job(tenant)
    with django_assert_num_queries(QUERIES_LIST):
        client.get(reverse("items:imports:index"))
    with django_assert_num_queries(QUERIES_PREVIEW):
        client.get(reverse("items:imports:detail", args=[first.pk]))

    rows = "".join(f"{90000 + n},AMERICAN VODKAS,HOUSE VODKA {n},1,HOUSE,750,12,,9.99\n" for n in range(120))
    big = previewed_job(tenant, CATALOG + rows)
    previewed_job(tenant)
    with django_assert_num_queries(QUERIES_LIST):
        client.get(reverse("items:imports:index"))
    with django_assert_num_queries(QUERIES_PREVIEW):
        response = client.get(reverse("items:imports:detail", args=[big.pk]), {"page": 2})
    assert response.content.decode().count('data-testid="import-row"') == 50


QUERIES_LIST = 16  # the signed-in request, the nav counts, venues and distributors for the form, a page of imports
QUERIES_PREVIEW = 11  # the signed-in request, the nav counts, the job (its report holds the rows)
