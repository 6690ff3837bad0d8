from django.urls import path

from patron.customers import views, views_detail, views_import, views_merge

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("duplicates/", views_merge.duplicate_list, name="duplicates"),
    path("<int:customer_id>/merge/<int:other_id>/", views_merge.customer_merge, name="merge"),
    path("merges/<int:entry_id>/undo/", views_merge.merge_undo, name="merge_undo"),
    path(
        "<int:customer_id>/not-duplicate/<int:other_id>/",
        views_merge.duplicate_dismiss,
        name="not_duplicate",
    ),
    path("bulk/", views.customer_bulk, name="bulk"),
    path("import/", views_import.import_upload, name="import"),
    path("import/<int:import_id>/", views_import.import_detail, name="import_detail"),
    path("import/<int:import_id>/mapping/", views_import.import_mapping, name="import_mapping"),
    path("import/<int:import_id>/start/", views_import.import_start, name="import_start"),
    path("import/<int:import_id>/rejects/", views_import.import_rejects, name="import_rejects"),
    path("export.csv", views_import.export_csv, name="export_csv"),
    path("export.vcf", views_import.export_vcard, name="export_vcard"),
    path("views/save/", views.saved_view_save, name="saved_view_save"),
    path("views/<int:view_id>/delete/", views.saved_view_delete, name="saved_view_delete"),
    path("<int:customer_id>/", views_detail.customer_detail, name="detail"),
    path("<int:customer_id>/confirm/", views_detail.customer_confirm, name="confirm"),
    path("<int:customer_id>/section/<slug:section>/", views_detail.section_show, name="section"),
    path(
        "<int:customer_id>/section/<slug:section>/edit/",
        views_detail.section_edit,
        name="section_edit",
    ),
    path(
        "<int:customer_id>/contact-points/<int:point_id>/edit/",
        views_detail.contact_point_edit,
        name="contact_point_edit",
    ),
    path(
        "<int:customer_id>/contact-points/<int:point_id>/delete/",
        views_detail.contact_point_delete,
        name="contact_point_delete",
    ),
    path(
        "<int:customer_id>/contact-points/<int:point_id>/confirm/",
        views_detail.contact_point_confirm,
        name="contact_point_confirm",
    ),
    path(
        "<int:customer_id>/identifiers/<int:identifier_id>/delete/",
        views_detail.identifier_delete,
        name="identifier_delete",
    ),
    path(
        "<int:customer_id>/memberships/<int:membership_id>/delete/",
        views_detail.membership_delete,
        name="membership_delete",
    ),
    path(
        "<int:customer_id>/organizations/suggest/",
        views_detail.organization_suggest,
        name="organization_suggest",
    ),
    path("<int:customer_id>/edit/", views.customer_edit, name="edit"),
    path("<int:customer_id>/delete/", views.customer_delete, name="delete"),
]
