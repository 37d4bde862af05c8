"""Stock pages, mounted at /items/stock/ (namespace items:stock)."""

from django.urls import path

from items import views_stock as views

app_name = "stock"
urlpatterns = [
    path("counts/", views.counts, name="counts"),
    path("counts/start/", views.count_start, name="count_start"),
    path("counts/<int:pk>/", views.count, name="count"),
    path("counts/<int:pk>/add/", views.count_add, name="count_add"),
    path("counts/<int:pk>/lines/<int:item_pk>/", views.count_line, name="count_line"),
    path("counts/<int:pk>/finish/", views.count_finish, name="count_finish"),
    path("counts/<int:pk>/cancel/", views.count_cancel, name="count_cancel"),
    path("transfer/", views.transfer, name="transfer"),
    path("write-off/", views.write_off, name="write_off"),
    path("quarantine/", views.quarantine, name="quarantine"),
    path("release/", views.release, name="release"),
    path("areas/<int:pk>/movements/", views.area_movements, name="area_movements"),
]

# For every URL above that names an object: its parameter and the model it looks up
# (tests/test_cross_tenant.py checks each is a 404 for another organization's object).
url_objects = {
    "count": {"pk": "items.StockCount"},
    "count_add": {"pk": "items.StockCount"},
    "count_line": {"pk": "items.StockCount", "item_pk": "items.Item"},
    "count_finish": {"pk": "items.StockCount"},
    "count_cancel": {"pk": "items.StockCount"},
    "area_movements": {"pk": "venues.StorageArea"},
}
