"""The rights pages (rights/pages.py). Included from core.urls with
`path("", include("rights.page_urls"))`; names are in the "works" namespace."""

from django.urls import path

from rights import pages

app_name = "works"
urlpatterns = [
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
]
