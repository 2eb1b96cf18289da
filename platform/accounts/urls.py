from django.urls import path

from accounts import avatar_views, views

app_name = "accounts"
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("verify/resend/", views.verify_email_resend, name="verify_email_resend"),
    path("verify/<uidb64>/<token>/", views.verify_email, name="verify_email"),
    path("profile/", views.profile, name="profile"),
    path("wallet/unlink/", views.wallet_unlink, name="wallet_unlink"),
    path("avatar/<int:user_id>/", avatar_views.avatar, name="avatar"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("password/change/", views.password_change, name="password_change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password/reset/complete/", views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
]
