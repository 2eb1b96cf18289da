from django.urls import path

from rights import views

app_name = "rights"
urlpatterns = [
    path("works/<str:work_id>/metadata.json", views.metadata, name="metadata"),
    path("works/<str:work_id>/file", views.work_file, name="work-file"),
    path("batches/<str:root>.json", views.batch, name="batch"),
]
