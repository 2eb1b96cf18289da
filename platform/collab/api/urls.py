from django.urls import path

from collab.api import views

prefix = "projects/<int:project_id>/storyboard"
urlpatterns = [
    path(prefix, views.StoryboardView.as_view(), name="api-storyboard"),
    path(f"{prefix}/scenes", views.SceneCreateView.as_view(), name="api-storyboard-scenes"),
    path(f"{prefix}/versions", views.VersionListView.as_view(), name="api-storyboard-versions"),
    path(f"{prefix}/versions/<int:version_id>", views.VersionDetailView.as_view(),
         name="api-storyboard-version"),
    path(f"{prefix}/versions/<int:version_id>/restore", views.VersionRestoreView.as_view(),
         name="api-storyboard-version-restore"),
    path(f"{prefix}/contributions", views.ContributionListView.as_view(),
         name="api-storyboard-contributions"),
]
