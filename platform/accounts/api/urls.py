from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/signup", views.SignupView.as_view(), name="api-signup"),
    path("profile", views.ProfileView.as_view(), name="api-profile"),
    path("profile/email/verify", views.EmailVerifyResendView.as_view(), name="api-email-verify"),
    path("profile/wallet", views.WalletView.as_view(), name="api-wallet"),
    path("profile/wallet/challenge", views.WalletChallengeView.as_view(), name="api-wallet-challenge"),
    path("profile/password", views.PasswordChangeView.as_view(), name="api-password"),
    path("tokens", views.TokenListView.as_view(), name="api-tokens"),
    path("tokens/<int:token_id>", views.TokenDetailView.as_view(), name="api-token"),
]
