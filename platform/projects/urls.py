from django.urls import path

from projects import views

app_name = "projects"
urlpatterns = [
    path("projects/", views.project_list, name="list"),
    path("projects/new/", views.project_create, name="create"),
    path("projects/invitations/", views.my_invitations, name="invitations"),
    path("projects/invitations/<int:invitation_id>/accept/", views.invitation_accept,
         name="invitation_accept"),
    path("projects/invitations/<int:invitation_id>/decline/", views.invitation_decline,
         name="invitation_decline"),
    path("projects/<int:project_id>/", views.project_detail, name="detail"),
    path("projects/<int:project_id>/edit/", views.project_update, name="update"),
    path("projects/<int:project_id>/archive/", views.project_archive, name="archive"),
    path("projects/<int:project_id>/delete/", views.project_delete, name="delete"),
    path("projects/<int:project_id>/members/<int:membership_id>/role/",
         views.member_change_role, name="member_role"),
    path("projects/<int:project_id>/members/<int:membership_id>/remove/",
         views.member_remove, name="member_remove"),
    path("projects/<int:project_id>/invitations/", views.invitation_create, name="invite"),
    path("projects/<int:project_id>/invitations/<int:invitation_id>/revoke/",
         views.invitation_revoke, name="invitation_revoke"),
]
