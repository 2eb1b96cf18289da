from django.urls import path

from rights.api import sales_views, views

urlpatterns = [
    path("projects/<int:project_id>/works", views.ProjectWorkListView.as_view(), name="api-project-works"),
    path("works", views.WorkListView.as_view(), name="api-works"),
    path("works/<str:work_id>", views.WorkDetailView.as_view(), name="api-work"),
    path("works/<str:work_id>/owners", views.WorkOwnersView.as_view(), name="api-work-owners"),
    path("works/<str:work_id>/aesthetics", views.WorkAestheticsView.as_view(), name="api-work-aesthetics"),
    path("works/<str:work_id>/submit", views.WorkSubmitView.as_view(), name="api-work-submit"),
    path("works/<str:work_id>/confirm", views.WorkConfirmView.as_view(), name="api-work-confirm"),
    path("works/<str:work_id>/offers", sales_views.WorkOffersView.as_view(), name="api-work-offers"),
    path("offers/<str:offer_id>", sales_views.OfferDetailView.as_view(), name="api-offer"),
    path("offers/<str:offer_id>/approve", sales_views.OfferApproveView.as_view(), name="api-offer-approve"),
    path("offers/<str:offer_id>/close", sales_views.OfferCloseView.as_view(), name="api-offer-close"),
    path("offers/<str:offer_id>/purchases", sales_views.OfferPurchaseView.as_view(),
         name="api-offer-purchases"),
    path("licences", sales_views.LicenceListView.as_view(), name="api-licences"),
    path("earnings", sales_views.EarningsView.as_view(), name="api-earnings"),
    path("earnings/withdrawals", sales_views.WithdrawalView.as_view(), name="api-earnings-withdrawals"),
    path("reviews", views.ReviewListView.as_view(), name="api-reviews"),
    path("reviews/<int:review_id>/approve", views.ReviewDecideView.as_view(), {"decision": "approve"},
         name="api-review-approve"),
    path("reviews/<int:review_id>/decline", views.ReviewDecideView.as_view(), {"decision": "decline"},
         name="api-review-decline"),
]
