from django.urls import path

from invoices import views, views_feeds

app_name = "invoices"
urlpatterns = [
    path("", views.index, name="index"),
    path("unrouted/", views.unrouted, name="unrouted"),
    path("<int:pk>/", views.review, name="review"),
    # Review (invoices/views.py)
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/copy/", views.view_copy, name="copy"),
    path("<int:pk>/attach/", views.attach, name="attach"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/reject/", views.reject, name="reject"),
    path("<int:pk>/items/", views.item_search, name="item_search"),
    path("<int:pk>/lines/add/", views.line_add, name="line_add"),
    path("lines/<int:pk>/", views.line_row, name="line"),
    path("lines/<int:pk>/items/", views.line_item_search, name="line_item_search"),
    path("lines/<int:pk>/match/", views.line_match, name="line_match"),
    path("lines/<int:pk>/new-item/", views.line_new_item, name="line_new_item"),
    path("lines/<int:pk>/update/", views.line_update, name="line_update"),
    path("lines/<int:pk>/remove/", views.line_remove, name="line_remove"),
    # Feeds (invoices/views_feeds.py)
    path("feeds/", views_feeds.feeds, name="feeds"),
    path("feeds/add/", views_feeds.feed_add, name="feed_add"),
    path("feeds/<int:pk>/", views_feeds.feed_detail, name="feed"),
    path("feeds/<int:pk>/edit/", views_feeds.feed_edit, name="feed_edit"),
    path("feeds/<int:pk>/status/", views_feeds.feed_status, name="feed_status"),
    path("feeds/<int:pk>/pull/", views_feeds.feed_pull, name="feed_pull"),
    path("feeds/<int:pk>/upload/", views_feeds.feed_upload, name="feed_upload"),
    path("documents/<int:pk>/", views_feeds.document_detail, name="document"),
    path("documents/<int:pk>/download/", views_feeds.document_download, name="document_download"),
    path("documents/<int:pk>/process/", views_feeds.document_process, name="document_process"),
]

# For tests/test_cross_tenant.py: which model each URL parameter names.
url_objects = {
    "review": {"pk": "invoices.PartialInvoice"},
    # Review
    "assign": {"pk": "invoices.PartialInvoice"},
    "copy": {"pk": "invoices.PartialInvoice"},
    "attach": {"pk": "invoices.PartialInvoice"},
    "approve": {"pk": "invoices.PartialInvoice"},
    "reject": {"pk": "invoices.PartialInvoice"},
    "item_search": {"pk": "invoices.PartialInvoice"},
    "line_add": {"pk": "invoices.PartialInvoice"},
    "line": {"pk": "invoices.InvoiceLine"},
    "line_item_search": {"pk": "invoices.InvoiceLine"},
    "line_match": {"pk": "invoices.InvoiceLine"},
    "line_new_item": {"pk": "invoices.InvoiceLine"},
    "line_update": {"pk": "invoices.InvoiceLine"},
    "line_remove": {"pk": "invoices.InvoiceLine"},
    # Feeds
    "feed": {"pk": "invoices.SupplierFeed"},
    "feed_edit": {"pk": "invoices.SupplierFeed"},
    "feed_status": {"pk": "invoices.SupplierFeed"},
    "feed_pull": {"pk": "invoices.SupplierFeed"},
    "feed_upload": {"pk": "invoices.SupplierFeed"},
    "document": {"pk": "invoices.FeedDocument"},
    "document_download": {"pk": "invoices.FeedDocument"},
    "document_process": {"pk": "invoices.FeedDocument"},
}
