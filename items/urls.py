from django.urls import include, path

from items import views

app_name = "items"
urlpatterns = [
    path("", views.index, name="index"),
    path("stock/", include("items.urls_stock")),
    path("merge/", include("items.urls_merge")),
    path("import/", include("items.urls_import")),
    path("new/", views.item_new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.item_edit, name="edit"),
    path("<int:pk>/par/", views.item_par, name="par"),
    path("<int:pk>/archive/", views.item_archive, name="archive"),
]

# Every URL above that names an object: its parameter and the model it looks up
# (tests/test_cross_tenant.py requests each with another organization's row and expects 404).
url_objects = {
    "detail": {"pk": "items.Item"},
    "edit": {"pk": "items.Item"},
    "par": {"pk": "items.Item"},
    "archive": {"pk": "items.Item"},
}
