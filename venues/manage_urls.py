from django.urls import path

from venues import manage_views

app_name = "manage"
urlpatterns = [
    path("", manage_views.index, name="index"),
]
