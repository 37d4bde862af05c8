from django.urls import path

from venues import manage_views

app_name = "manage"
urlpatterns = [
    path("", manage_views.index, name="index"),
    path("audit/", manage_views.audit_log, name="audit_log"),
    path("venues/add/", manage_views.venue_add, name="venue_add"),
    path("venues/<int:pk>/", manage_views.venue_row, name="venue_row"),
    path("venues/<int:pk>/edit/", manage_views.venue_edit, name="venue_edit"),
    path("venues/<int:pk>/storage-areas/", manage_views.storage_areas, name="storage_areas"),
    path("venues/<int:pk>/storage-areas/add/", manage_views.storage_area_add, name="storage_area_add"),
    path("storage-areas/<int:pk>/rename/", manage_views.storage_area_rename, name="storage_area_rename"),
    path("storage-areas/<int:pk>/make-primary/", manage_views.storage_area_primary, name="storage_area_primary"),
    path("members/<int:pk>/role/", manage_views.member_role, name="member_role"),
    path("members/<int:pk>/remove/", manage_views.member_remove, name="member_remove"),
    path("invitations/new/", manage_views.invite, name="invite"),
    path("invitations/<int:pk>/revoke/", manage_views.invitation_revoke, name="invitation_revoke"),
]

# For every URL above that names an object: its parameter and the model it looks up. The
# cross-tenant tests use this to check each one is a 404 for another organization's object.
url_objects = {
    "venue_row": {"pk": "venues.Venue"},
    "venue_edit": {"pk": "venues.Venue"},
    "storage_areas": {"pk": "venues.Venue"},
    "storage_area_add": {"pk": "venues.Venue"},
    "storage_area_rename": {"pk": "venues.StorageArea"},
    "storage_area_primary": {"pk": "venues.StorageArea"},
    "member_role": {"pk": "venues.Membership"},
    "member_remove": {"pk": "venues.Membership"},
    "invitation_revoke": {"pk": "venues.Invitation"},
}
