"""The reviews' API: a work's threads, posting and replying, editing, deleting, reporting, and the
moderators' queue and decisions. Thin: reviews/services.py decides and checks permissions, and
its refusals answer in the API's error shape."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.scopes import TokenScopePermission
from accounts.selectors import current_user, signed_in
from kernel.api.views import validated
from recommend.selectors import publication_get
from recommend.services import PublicationStatus
from reviews import selectors, services, throttles
from reviews.api.serializers import (
    GalleryReviewSerializer,
    GalleryReviewThreadSerializer,
    ReportedReviewSerializer,
    ReviewDecisionSerializer,
    ReviewEditInput,
    ReviewInput,
    ReviewModerateInput,
    ReviewReportInput,
)


def _can_post(publication: Any, request: Request) -> bool:
    viewer = signed_in(request.user)
    return viewer is not None and viewer.is_active and publication.status == PublicationStatus.PUBLISHED


def _readable_by_anyone(request: Request) -> list[Any]:
    """GET needs no account (a token still needs its read scope); the rest, the API's default."""
    return [AllowAny(), TokenScopePermission()] if request.method == "GET" else []


def _one(request: Request, review_id: int, *, code: int = status.HTTP_200_OK) -> Response:
    """The review as the requester sees it now."""
    publication, review = selectors.review_get(review_id=review_id, viewer=request.user)
    if review.parent_id is None:
        entry = selectors.entries_for(roots=[review], publication=publication, viewer=request.user,
                                      replies_limit=0, can_post=_can_post(publication, request))[0]
    else:
        entry = selectors.entries_for_replies(replies=[review], publication=publication, viewer=request.user,
                                              can_post=_can_post(publication, request))[0]
    return Response(GalleryReviewSerializer(entry).data, status=code)


class PublicationReviewsView(generics.GenericAPIView):
    serializer_class = GalleryReviewThreadSerializer
    throttle_scope = throttles.SCOPE  # (counted only for a POST: get_throttles)

    def get_throttles(self) -> list[Any]:
        more = [throttles.ReviewPostThrottle()] if self.request.method == "POST" else []
        return [*super().get_throttles(), *more]

    def get_permissions(self) -> list[Any]:
        return _readable_by_anyone(self.request) or list(super().get_permissions())

    @extend_schema(operation_id="gallery_works_reviews_list",
                   responses=GalleryReviewThreadSerializer(many=True),
                   description="A work's threads of reviews, newest first, a page at a time, each with its "
                               "first replies: anyone for a published work (its project's owners and "
                               "moderators for one out of the gallery).")
    def get(self, request: Request, publication_id: str) -> Response:
        publication = publication_get(publication_id=publication_id, user=request.user)
        page = self.paginate_queryset(selectors.thread_roots(publication=publication,
                                                             viewer=request.user))
        assert page is not None  # (the API sets a pagination class for every list)
        entries = selectors.entries_for(roots=list(page), publication=publication, viewer=request.user,
                                        replies_limit=selectors.REPLIES_SHOWN,
                                        can_post=_can_post(publication, request))
        return self.get_paginated_response(GalleryReviewThreadSerializer(entries, many=True).data)

    @extend_schema(operation_id="gallery_works_reviews_create", request=ReviewInput,
                   responses={201: GalleryReviewSerializer}, description=(
                       "Review a published work, or reply to one of its reviews (parent). At most a few a "
                       "minute and some a day per account (429, code throttled). The work's creator, or "
                       "whoever the reply answers, is notified."))
    def post(self, request: Request, publication_id: str) -> Response:
        data = validated(ReviewInput, request)
        review = services.review_post(user=current_user(request), publication_id=publication_id,
                                      body=data["body"], parent=data["parent"])
        return _one(request, review.pk, code=status.HTTP_201_CREATED)


class ReviewView(generics.GenericAPIView):
    serializer_class = GalleryReviewSerializer

    def get_permissions(self) -> list[Any]:
        return _readable_by_anyone(self.request) or list(super().get_permissions())

    @extend_schema(responses=GalleryReviewSerializer, description="One review, as you may see it.")
    def get(self, request: Request, review_id: int) -> Response:
        return _one(request, review_id)

    @extend_schema(request=ReviewEditInput, responses=GalleryReviewSerializer, description=(
        "Change your review's text (while it is shown, for a while after posting: 409 edit_window after)."))
    def patch(self, request: Request, review_id: int) -> Response:
        data = validated(ReviewEditInput, request)
        services.review_edit(user=current_user(request), review_id=review_id, body=data["body"])
        return _one(request, review_id)

    @extend_schema(responses={204: None}, description=(
        "Delete a review: yours, or one on your work. Its replies stay under a line saying it was deleted."))
    def delete(self, request: Request, review_id: int) -> Response:
        services.review_delete(user=current_user(request), review_id=review_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewRepliesView(generics.GenericAPIView):
    serializer_class = GalleryReviewSerializer
    permission_classes = [AllowAny, TokenScopePermission]

    @extend_schema(responses=GalleryReviewSerializer(many=True),
                   description="All the replies in a review's thread, oldest first, a page at a time.")
    def get(self, request: Request, review_id: int) -> Response:
        publication, root = selectors.thread_get(review_id=review_id, viewer=request.user)
        page = self.paginate_queryset(selectors.thread_replies(root=root, viewer=request.user))
        assert page is not None
        entries = selectors.entries_for_replies(replies=list(page), publication=publication,
                                                viewer=request.user, can_post=_can_post(publication, request))
        return self.get_paginated_response(GalleryReviewSerializer(entries, many=True).data)


class ReviewReportView(generics.GenericAPIView):
    serializer_class = ReviewReportInput

    @extend_schema(request=ReviewReportInput, responses={204: None}, description=(
        "Report a review (not your own; once). Weighed as a work's report is: once several trusted people "
        "(a verified e-mail address and an account some days old) have reported it, it is held back "
        "until a moderator decides. Every report reaches the moderators."))
    def post(self, request: Request, review_id: int) -> Response:
        data = validated(ReviewReportInput, request)
        services.review_report(user=current_user(request), review_id=review_id, **data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewModerateView(generics.GenericAPIView):
    serializer_class = ReviewModerateInput

    @extend_schema(request=ReviewModerateInput, responses=ReviewDecisionSerializer,
                   description="A moderator's decision on a review (staff only), recorded.")
    def post(self, request: Request, review_id: int) -> Response:
        data = validated(ReviewModerateInput, request)
        decision = services.review_moderate(moderator=current_user(request), review_id=review_id, **data)
        return Response(ReviewDecisionSerializer(decision).data)


class ReportedReviewsView(generics.GenericAPIView):
    serializer_class = ReportedReviewSerializer
    pagination_class = None

    @extend_schema(responses=ReportedReviewSerializer(many=True), parameters=[
        OpenApiParameter("limit", int, description="At most this many (1 to 50, default 50).")],
        description="Reviews with open reports or held back, the most reported first (staff only).")
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("limit", str(selectors.QUEUE_SHOWN))
        limit = int(raw) if raw.isdigit() and 0 < int(raw) <= selectors.QUEUE_SHOWN else selectors.QUEUE_SHOWN
        queue = selectors.moderation_queue(user=current_user(request), limit=limit)
        return Response(ReportedReviewSerializer(queue, many=True).data)
