from django.urls import path

from inbox.api import views

urlpatterns = [
    path("notifications", views.NotificationListView.as_view(), name="api-notifications"),
    path("notifications/unread-count", views.UnreadCountView.as_view(), name="api-notifications-unread"),
    path("notifications/read-all", views.NotificationReadAllView.as_view(),
         name="api-notifications-read-all"),
    path("notifications/email", views.EmailKindsView.as_view(), name="api-notifications-email"),
    path("notifications/<int:notification_id>/read", views.NotificationReadView.as_view(),
         name="api-notification-read"),
]
