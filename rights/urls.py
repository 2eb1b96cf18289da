from django.urls import path

from rights import views

app_name = "rights"
urlpatterns = [
    path("works/<str:work_id>/metadata.json", views.metadata, name="metadata"),
    path("batches/<str:root>.json", views.batch, name="batch"),
]
