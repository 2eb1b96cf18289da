from django.urls import path

from recommend.api import moderation, views

urlpatterns = [
    path("gallery/feed", views.FeedView.as_view(), name="api-gallery-feed"),
    path("gallery/signals", views.SignalsView.as_view(), name="api-gallery-signals"),
    path("gallery/tags", views.TagListView.as_view(), name="api-gallery-tags"),
    path("gallery/preferences", views.PreferencesView.as_view(), name="api-gallery-preferences"),
    path("gallery/onboarding", views.OnboardingView.as_view(), name="api-gallery-onboarding"),
    path("gallery/collections", views.CollectionListView.as_view(), name="api-gallery-collections"),
    path("gallery/collections/<int:collection_id>", views.CollectionItemsView.as_view(),
         name="api-gallery-collection"),
    path("gallery/liked", views.LikedView.as_view(), name="api-gallery-liked"),
    path("gallery/works/<str:publication_id>", views.PublicationView.as_view(), name="api-gallery-work"),
    path("gallery/works/<str:publication_id>/media/<str:name>", views.PublicationMediaView.as_view(),
         name="api-gallery-media"),
    path("gallery/works/<str:publication_id>/like", views.LikeView.as_view(), name="api-gallery-like"),
    path("gallery/works/<str:publication_id>/save", views.SaveView.as_view(), name="api-gallery-save"),
    path("gallery/works/<str:publication_id>/hide", views.HideView.as_view(), name="api-gallery-hide"),
    path("gallery/works/<str:publication_id>/report", views.ReportView.as_view(), name="api-gallery-report"),
    path("gallery/works/<str:publication_id>/moderate", views.ModerateView.as_view(),
         name="api-gallery-moderate"),
    path("gallery/works/<str:publication_id>/remix", views.RemixView.as_view(), name="api-gallery-remix"),
    path("moderation", moderation.ModerationView.as_view(), name="api-moderation"),
    path("moderation/<str:publication_id>", moderation.ModerationItemView.as_view(),
         name="api-moderation-item"),
    path("gallery/creators/<str:username>", views.CreatorView.as_view(), name="api-gallery-creator"),
    path("gallery/creators/<str:username>/works", views.CreatorWorksView.as_view(),
         name="api-gallery-creator-works"),
    path("gallery/creators/<str:username>/follow", views.FollowView.as_view(), name="api-gallery-follow"),
    path("projects/<int:project_id>/publications", views.ProjectPublicationsView.as_view(),
         name="api-project-publications"),
]
