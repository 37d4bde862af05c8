from django.urls import path

from items import views_import

app_name = "imports"
urlpatterns = [
    path("", views_import.index, name="index"),
    path("<int:pk>/", views_import.detail, name="detail"),
    path("<int:pk>/mapping/", views_import.mapping, name="mapping"),
    path("<int:pk>/commit/", views_import.commit, name="commit"),
    path("<int:pk>/progress/", views_import.progress, name="progress"),
    path("<int:pk>/rejected-rows.csv", views_import.rejected_csv, name="rejected_csv"),
    path("<int:pk>/file/", views_import.download_file, name="file"),
]

# Every URL above that names an object: its parameter and the model it looks up
# (tests/test_cross_tenant.py requests each with another organization's row and expects 404).
url_objects = {
    "detail": {"pk": "items.ImportJob"},
    "mapping": {"pk": "items.ImportJob"},
    "commit": {"pk": "items.ImportJob"},
    "progress": {"pk": "items.ImportJob"},
    "rejected_csv": {"pk": "items.ImportJob"},
    "file": {"pk": "items.ImportJob"},
}
