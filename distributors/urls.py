from django.urls import path

from distributors import views

app_name = "distributors"
urlpatterns = [
    path("", views.index, name="index"),
]
