from django.urls import path

from backorders import views

app_name = "backorders"
urlpatterns = [
    path("", views.index, name="index"),
]
