from django.urls import path

from generation import views

app_name = "generation"
urlpatterns = [
    path("accounts/usage/", views.usage, name="usage"),
    path("staff/models/", views.models_page, name="models"),
    path("staff/models/<str:name>/install", views.model_install, name="model-install"),
    path("staff/models/<str:name>/remove", views.model_remove, name="model-remove"),
]
