"""The merge tool and duplicate suggestions, under /items/merge/ (included by items/urls.py,
so the names live in the `items` namespace: `items:merge`, `items:merge_suggestions`, …)."""

from django.urls import path

from items import views_merge

urlpatterns = [
    path("", views_merge.merge_tool, name="merge"),
    path("search/", views_merge.merge_search, name="merge_search"),
    path("confirm/", views_merge.merge_confirm, name="merge_confirm"),
    path("suggestions/", views_merge.suggestions, name="merge_suggestions"),
    path("suggestions/dismiss/", views_merge.dismiss, name="merge_dismiss"),
    path("<int:pk>/undo/", views_merge.merge_undo, name="merge_undo"),
    path("item/<int:pk>/", views_merge.item_merges, name="merge_item_history"),
]

# URLs above that name an object in the path (tests/test_cross_tenant.py requests each with
# another organization's row and expects 404). Items named in the query string or the POST
# body (?a=, ?b=, ?item=, survivor/merged, a/b) are looked up the same scoped way; their
# 404s are tested in items/tests/test_merge_views.py.
url_objects = {
    "merge_undo": {"pk": "items.ItemMerge"},
    "merge_item_history": {"pk": "items.Item"},
}
