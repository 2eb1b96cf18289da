from django.urls import path

from projects.api import views

urlpatterns = [
    path("projects", views.ProjectListView.as_view(), name="api-projects"),
    path("projects/<int:project_id>", views.ProjectDetailView.as_view(), name="api-project"),
    path("projects/<int:project_id>/archive", views.ProjectArchiveView.as_view(archived=True),
         name="api-project-archive"),
    path("projects/<int:project_id>/unarchive", views.ProjectArchiveView.as_view(archived=False),
         name="api-project-unarchive"),
    path("projects/<int:project_id>/members", views.MemberListView.as_view(), name="api-members"),
    path("projects/<int:project_id>/members/<int:membership_id>", views.MemberDetailView.as_view(),
         name="api-member"),
    path("projects/<int:project_id>/invitations", views.ProjectInvitationListView.as_view(),
         name="api-project-invitations"),
    path("projects/<int:project_id>/invitations/<int:invitation_id>",
         views.ProjectInvitationDetailView.as_view(), name="api-project-invitation"),
    path("projects/<int:project_id>/activity", views.ActivityListView.as_view(), name="api-activity"),
    path("invitations", views.MyInvitationListView.as_view(), name="api-invitations"),
    path("invitations/<int:invitation_id>/accept", views.InvitationAcceptView.as_view(),
         name="api-invitation-accept"),
    path("invitations/<int:invitation_id>/decline", views.InvitationDeclineView.as_view(),
         name="api-invitation-decline"),
]
