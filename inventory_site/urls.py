from django.urls import include, path

from inventory_site.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("venues.urls")),
    path("manage/", include("venues.manage_urls")),
    path("items/", include("items.urls")),
    path("distributors/", include("distributors.urls")),
    path("invoices/", include("invoices.urls")),
    path("back-orders/", include("backorders.urls")),
    path("channels/", include("channels.urls")),
]
