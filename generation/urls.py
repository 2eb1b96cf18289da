from django.urls import path

from generation import views

app_name = "generation"
urlpatterns = [
    path("accounts/usage/", views.usage, name="usage"),
]
