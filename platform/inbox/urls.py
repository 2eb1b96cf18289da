from django.urls import path

from inbox import views

app_name = "inbox"
urlpatterns = [
    path("inbox/", views.inbox, name="list"),
    path("inbox/read-all/", views.mark_all_read, name="read_all"),
    path("inbox/email/", views.email_settings, name="email"),
    path("inbox/<int:notification_id>/open/", views.notification_open, name="open"),
]
