from django.urls import path

from generation.api import views

prefix = "projects/<int:project_id>/jobs"
urlpatterns = [
    path(prefix, views.JobListView.as_view(), name="api-jobs"),
    path(f"{prefix}/<str:job_id>", views.JobDetailView.as_view(), name="api-job"),
    path(f"{prefix}/<str:job_id>/cancel", views.JobCancelView.as_view(), name="api-job-cancel"),
    path("projects/<int:project_id>/assets", views.AssetListView.as_view(), name="api-assets"),
    path("projects/<int:project_id>/assets/<int:asset_id>", views.AssetDetailView.as_view(),
         name="api-asset"),
    path("projects/<int:project_id>/assets/<int:asset_id>/remix", views.AssetRemixView.as_view(),
         name="api-asset-remix"),
    path("projects/<int:project_id>/assets/<int:asset_id>/aesthetics", views.AssetAestheticsView.as_view(),
         name="api-asset-aesthetics"),
    path("projects/<int:project_id>/assets/<int:asset_id>/<str:name>", views.AssetMediaView.as_view(),
         name="api-asset-media"),
    path("generation/presets", views.PresetListView.as_view(), name="api-generation-presets"),
    path("models", views.ModelListView.as_view(), name="api-models"),
    path("models/<str:name>", views.ModelDetailView.as_view(), name="api-model"),
    path("models/<str:name>/install", views.ModelInstallView.as_view(), name="api-model-install"),
    path("generation/usage", views.UsageView.as_view(), name="api-generation-usage"),
    path("webhooks", views.WebhookListView.as_view(), name="api-webhooks"),
    path("webhooks/<int:webhook_id>", views.WebhookDetailView.as_view(), name="api-webhook"),
]
