"""Public verification: the page and the API. Included from core.urls with
`path("", include("rights.verify_urls"))`."""

from django.urls import path

from rights.api.verify_views import VerifyView
from rights.verify_pages import verify_page

urlpatterns = [
    path("verify/", verify_page, name="verify"),
    path("api/v1/verify", VerifyView.as_view(), name="api-verify"),
]
