"""Every rights route outside the API (rights/api/urls.py): public verification, the files of
registered works (namespace "rights") and the works pages (namespace "works")."""

from django.urls import include, path

from rights.api.verify_views import VerifyView
from rights.web import files, pages, sales
from rights.web.verify import verify_page

files_patterns = [
    path("works/<str:work_id>/metadata.json", files.metadata, name="metadata"),
    path("registered/<str:sha256>/metadata.json", files.registered_metadata, name="registered-metadata"),
    path("works/<str:work_id>/file", files.work_file, name="work-file"),
    path("batches/<str:root>.json", files.batch, name="batch"),
    path("licences/tokens/<str:token_id>.json", files.licence_token, name="licence-token"),
]

pages_patterns = [
    path("works/", pages.my_works, name="list"),
    path("works/new/", pages.work_new, name="new"),
    path("works/reviews/<int:review_id>/approve/", pages.review_decide_page, {"decision": "approve"},
         name="review_approve"),
    path("works/reviews/<int:review_id>/decline/", pages.review_decide_page, {"decision": "decline"},
         name="review_decline"),
    path("works/<str:work_id>/", pages.work_detail, name="detail"),
    path("works/<str:work_id>/owners/", pages.owners_save, name="owners"),
    path("works/<str:work_id>/submit/", pages.work_submit_page, name="submit"),
    path("works/<str:work_id>/confirm/", pages.work_confirm_page, name="confirm"),
    path("works/<str:work_id>/transfer/", pages.transfer, name="transfer"),
    path("works/<str:work_id>/licences/", pages.licence_new, name="licence"),
    path("works/<str:work_id>/licences/<str:licence_id>/revoke/", pages.licence_revoke_page,
         name="licence_revoke"),
    path("works/<str:work_id>/offers/", pages.offer_new, name="offer_new"),
    path("licences/", sales.my_licences, name="licences"),
    path("licences/offers/<str:offer_id>/", sales.offer_page, name="offer"),
    path("licences/offers/<str:offer_id>/buy/", sales.offer_buy, name="offer_buy"),
    path("licences/offers/<str:offer_id>/approve/", sales.offer_approve_page, name="offer_approve"),
    path("licences/offers/<str:offer_id>/close/", sales.offer_close_page, name="offer_close"),
    path("earnings/", sales.earnings, name="earnings"),
    path("earnings/withdraw/", sales.withdraw, name="withdraw"),
]

urlpatterns = [
    path("verify/", verify_page, name="verify"),
    path("api/v1/verify", VerifyView.as_view(), name="api-verify"),
    path("", include((files_patterns, "rights"))),
    path("", include((pages_patterns, "works"))),
]
