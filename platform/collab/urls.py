from django.urls import path

from collab import views

app_name = "collab"
urlpatterns = [
    path("projects/<int:project_id>/storyboard/", views.storyboard_page, name="storyboard"),
]
