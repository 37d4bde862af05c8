from django.urls import path

from distributors import views

app_name = "distributors"
urlpatterns = [
    path("", views.index, name="index"),
    path("add/", views.distributor_add, name="add"),
    path("accounts/", views.accounts, name="accounts"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/details/", views.distributor_header, name="header"),
    path("<int:pk>/edit/", views.distributor_edit, name="edit"),
    path("<int:pk>/accounts/add/", views.account_add, name="account_add"),
    path("accounts/<int:pk>/", views.account_card, name="account"),
    path("accounts/<int:pk>/edit/", views.account_edit, name="account_edit"),
    path("accounts/<int:pk>/verify/", views.account_verify, name="account_verify"),
    path("accounts/<int:pk>/deactivate/", views.account_deactivate, name="account_deactivate"),
    path("accounts/<int:pk>/reactivate/", views.account_reactivate, name="account_reactivate"),
    path("accounts/<int:pk>/reps/add/", views.rep_add, name="rep_add"),
    path("reps/<int:pk>/edit/", views.rep_edit, name="rep_edit"),
    path("reps/<int:pk>/remove/", views.rep_remove, name="rep_remove"),
]

# For every URL above that names an object: its parameter and the model it looks up. The
# cross-tenant tests use this to check each one is a 404 for another organization's object.
# (A distributor of the shared directory is everyone's by design; the tests use an
# organization's own distributor, which must be a 404 for any other organization.)
url_objects = {
    "detail": {"pk": "distributors.Distributor"},
    "header": {"pk": "distributors.Distributor"},
    "edit": {"pk": "distributors.Distributor"},
    "account_add": {"pk": "distributors.Distributor"},
    "account": {"pk": "distributors.DistributorAccount"},
    "account_edit": {"pk": "distributors.DistributorAccount"},
    "account_verify": {"pk": "distributors.DistributorAccount"},
    "account_deactivate": {"pk": "distributors.DistributorAccount"},
    "account_reactivate": {"pk": "distributors.DistributorAccount"},
    "rep_add": {"pk": "distributors.DistributorAccount"},
    "rep_edit": {"pk": "distributors.SalesRep"},
    "rep_remove": {"pk": "distributors.SalesRep"},
}
