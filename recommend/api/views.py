"""The gallery's API: the feed, publishing, engagement, signals, preferences. Thin: the services
in recommend/ decide and check permissions."""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scopes import TokenScopePermission
from accounts.selectors import current_user, signed_in
from generation.api.media import MEDIA_RESPONSES, asset_media_response
from generation.api.serializers import JobSerializer
from generation.selectors import asset_media_names
from kernel.api.parsers import BoundedJSONParser, json_loads_bounded
from kernel.api.views import validated
from kernel.errors import NotFound, ValidationFailed
from projects.selectors import project_get
from recommend import feed as feeds
from recommend import preferences, selectors, services
from recommend.api.serializers import (
    CollectionSerializer,
    ColourCardSerializer,
    ContextInput,
    CreatorSerializer,
    FeedPageSerializer,
    GalleryRemixInput,
    HideInput,
    ModerateInput,
    OnboardingInput,
    PreferencesInput,
    PreferencesSerializer,
    PublicationSerializer,
    PublicationUpdateInput,
    PublishInput,
    ReceptionSerializer,
    ReportInput,
    SaveInput,
    SignalsInput,
    TagSerializer,
    feed_items,
    publication_cards,
)
from recommend.colours import COLOUR_PATTERN, NAMED, ColourMatch, by_colour, colour_parse
from recommend.models import Follow, Publication, PublicationStatus
from recommend.reception import reception_predict


def _card(request: Request, publication: Publication, *, created: bool = False) -> Response:
    data = publication_cards(request, [publication])[0]
    return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _cards_page(view: generics.GenericAPIView, request: Request,
                publications: Sequence[Publication] | QuerySet[Publication]) -> Response:
    """One page of publication cards, in the paginated shape of every list in the API."""
    page = view.paginate_queryset(publications)  # type: ignore[arg-type]
    assert page is not None  # (the API sets a pagination class for every list)
    return view.get_paginated_response(publication_cards(request, list(page)))


class FeedView(APIView):
    permission_classes = [AllowAny, TokenScopePermission]

    @extend_schema(parameters=[
        OpenApiParameter("cursor", str, description="next_cursor of the previous page; none for the first."),
        OpenApiParameter("size", int, description="Items per page, 1 to 50 (default 20).")],
        responses=FeedPageSerializer,
        description="Your personalised feed (logged out: popular and new works). Each item says why it "
                    "is shown. Pages of one session never repeat; the session ends after a few pages and "
                    "the next starts fresh, leaving out what was shown.")
    def get(self, request: Request) -> Response:
        size = request.query_params.get("size", str(feeds.PAGE_SIZE))
        if not size.isdigit():
            raise ValidationFailed(_("size is a whole number from 1 to 50."), fields={"size": [_("1 to 50")]})
        user = signed_in(request.user)
        page = feeds.feed_page(user=user, cursor=request.query_params.get("cursor") or None, size=int(size))
        items = feed_items(request, page)
        return Response({"feed": page.feed, "items": items, "next_cursor": page.next_cursor})


class ProjectPublicationsView(generics.GenericAPIView):
    serializer_class = PublicationSerializer

    @extend_schema(responses=PublicationSerializer(many=True),
                   description="The project's publications (published or not), newest first, a page at a "
                               "time; members may see them.")
    def get(self, request: Request, project_id: int) -> Response:
        project = project_get(project_id=project_id, user=request.user)
        return _cards_page(self, request, selectors.project_publications(project=project))

    @extend_schema(request=PublishInput, responses={201: PublicationSerializer},
                   description="Publish one of the project's renders in the gallery (project owners).")
    def post(self, request: Request, project_id: int) -> Response:
        project = project_get(project_id=project_id, user=request.user)
        data = validated(PublishInput, request)
        publication = services.publication_publish(project=project, user=current_user(request),
                                                   asset_id=data.pop("asset"), **data)
        return _card(request, publication, created=True)


class PublicationView(APIView):
    permission_classes = [AllowAny, TokenScopePermission]

    @extend_schema(responses=PublicationSerializer)
    def get(self, request: Request, publication_id: str) -> Response:
        return _card(request, selectors.publication_get(publication_id=publication_id, user=request.user))

    @extend_schema(request=PublicationUpdateInput, responses=PublicationSerializer,
                   description="Change a publication, or unpublish it (status) — its project's owners.")
    def patch(self, request: Request, publication_id: str) -> Response:
        data = validated(PublicationUpdateInput, request)
        publication = services.publication_update(publication_id=publication_id, user=current_user(request),
                                                   **data)
        return _card(request, selectors.publication_get(publication_id=publication.public_id,
                                                        user=request.user))

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "GET" else list(super().get_permissions())


class PublicationMediaView(APIView):
    """A published work's files, for anyone (byte ranges answered, for seeking in a video)."""

    permission_classes = [AllowAny, TokenScopePermission]

    @extend_schema(operation_id="gallery_works_media",
                   responses=MEDIA_RESPONSES)
    def get(self, request: Request, publication_id: str, name: str) -> HttpResponseBase:
        publication = selectors.publication_get(publication_id=publication_id, user=request.user)
        if name not in asset_media_names():
            raise NotFound(_("No such file."))
        response = asset_media_response(request, publication.asset, name, filename=publication.public_id)
        if publication.status == PublicationStatus.PUBLISHED:
            response["Cache-Control"] = "public, max-age=3600"
        return response


class _Toggle(APIView):
    input_class: type = ContextInput

    def change(self, request: Request, publication_id: str, on: bool, data: dict[str, Any]) -> Publication:
        raise NotImplementedError

    def post(self, request: Request, publication_id: str) -> Response:
        data = validated(self.input_class, request)
        publication = self.change(request, publication_id, True, data)
        return _card(request, selectors.publication_get(publication_id=publication.public_id,
                                                        user=request.user))

    def delete(self, request: Request, publication_id: str) -> Response:
        publication = self.change(request, publication_id, False, {})
        return _card(request, selectors.publication_get(publication_id=publication.public_id,
                                                        user=request.user))


@extend_schema(request=ContextInput, responses={200: PublicationSerializer}, description=(
    "POST likes the work, DELETE takes the like back. feed/position/reason say where it was liked."))
class LikeView(_Toggle):
    def change(self, request: Request, publication_id: str, on: bool, data: dict[str, Any]) -> Publication:
        return services.like_set(user=current_user(request), publication_id=publication_id, liked=on, **data)


@extend_schema(request=SaveInput, responses={200: PublicationSerializer}, description=(
    "POST saves the work to a collection (“Saved” unless named), DELETE takes it out of “Saved”."))
class SaveView(_Toggle):
    input_class = SaveInput

    def change(self, request: Request, publication_id: str, on: bool, data: dict[str, Any]) -> Publication:
        collection = data.pop("collection", "") or None
        return services.save_set(user=current_user(request), publication_id=publication_id, saved=on,
                                 collection=collection, **data)


class HideView(APIView):
    @extend_schema(request=HideInput, responses={204: None},
                   description="Never show this work again (and, with less_like_it, fewer like it).")
    def post(self, request: Request, publication_id: str) -> Response:
        data = validated(HideInput, request)
        services.hide(user=current_user(request), publication_id=publication_id, **data)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={204: None}, description="Show the work again.")
    def delete(self, request: Request, publication_id: str) -> Response:
        services.unhide(user=current_user(request), publication_id=publication_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReportView(APIView):
    @extend_schema(request=ReportInput, responses={204: None}, description=(
        "Report a work: it is hidden from you at once, and held back from everyone once several trusted "
        "people (a verified e-mail address and an account some days old) have reported it, until a "
        "moderator decides. Every report reaches the moderators."))
    def post(self, request: Request, publication_id: str) -> Response:
        data = validated(ReportInput, request)
        services.report(user=current_user(request), publication_id=publication_id, **data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ModerateView(APIView):
    @extend_schema(request=ModerateInput, responses=PublicationSerializer,
                   description="A moderator's decision on a reported work (staff only).")
    def post(self, request: Request, publication_id: str) -> Response:
        data = validated(ModerateInput, request)
        publication = services.report_resolve(publication_id=publication_id, moderator=current_user(request),
                                              remove=data["remove"])
        return _card(request, publication)


class RemixView(APIView):
    @extend_schema(request=GalleryRemixInput, responses={201: JobSerializer}, description=(
        "Remix a published work into one of your projects: a render with its settings (and your "
        "changes), the work recorded as its source."))
    def post(self, request: Request, publication_id: str) -> Response:
        data = validated(GalleryRemixInput, request)
        project = project_get(project_id=data.pop("project"), user=request.user)
        job = services.gallery_remix(user=current_user(request), publication_id=publication_id,
                                     project=project, **data)
        return Response(JobSerializer(job, context={"request": request}).data, status=status.HTTP_201_CREATED)


class SignalsView(APIView):
    parser_classes = [BoundedJSONParser, MultiPartParser, FormParser]

    @extend_schema(request={"application/json": SignalsInput, "multipart/form-data": SignalsInput},
                   responses={202: None}, description=(
                       "What the page reports by itself: impressions, views with dwell time, shares. "
                       "A viewer's repeat of a kind on a work within a window (30 minutes by default), "
                       "and a creator's events on their own works, are accepted and not counted."))
    def post(self, request: Request) -> Response:
        data: Any = request.data
        if hasattr(data, "getlist") and isinstance(data.get("events"), str):  # a beacon's form
            try:  # bounded as a JSON body is: a deep list must not take the process down
                data = {"events": json_loads_bounded(data["events"], max_depth=settings.API_JSON_MAX_DEPTH)}
            except ValueError:
                message = _("events is not JSON.")
                raise ValidationFailed(message, fields={"events": [_("A JSON list.")]}) from None
        if isinstance(data, dict) and isinstance(data.get("events"), list):  # (a JSON body may be a list)
            services.signals_batch_check(data["events"])  # counted first: each event costs a validation
        serializer = SignalsInput(data=data)
        serializer.is_valid(raise_exception=True)
        events = [dict(event) for event in serializer.validated_data["events"]]
        services.signals_record(user=current_user(request), events=events)
        return Response(status=status.HTTP_202_ACCEPTED)


class CreatorView(APIView):
    permission_classes = [AllowAny, TokenScopePermission]

    @extend_schema(responses=CreatorSerializer)
    def get(self, request: Request, username: str) -> Response:
        creator = selectors.creator_get(username=username)
        followed = None
        if request.user.is_authenticated:
            followed = Follow.objects.filter(follower=request.user, creator=creator).exists()
        return Response({"username": creator.username, "name": creator.name, "bio": creator.bio,
                         **selectors.creator_stats(creator=creator), "followed_by_me": followed})


class CreatorWorksView(generics.ListAPIView):
    permission_classes = [AllowAny, TokenScopePermission]
    serializer_class = PublicationSerializer

    def get_queryset(self) -> QuerySet[Publication]:
        return selectors.creator_publications(creator=selectors.creator_get(username=self.kwargs["username"]))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(publication_cards(request, list(page or [])))


class ReceptionView(APIView):
    @extend_schema(responses=ReceptionSerializer, description=(
        "How the audience is likely to receive one of the project's renders (for those who may publish "
        "it): the appeal model's probability that a viewer shown it takes it up, where that stands among "
        "published works, and what drives it. `pending` while the render is measured and its prompt "
        "read (ask again in a few seconds); `unavailable` before there are enough signals to learn from."))
    def get(self, request: Request, project_id: int, asset_id: int) -> Response:
        return Response(reception_predict(project_id=project_id, asset_id=asset_id,
                                          user=current_user(request)))


class ColourWorksView(generics.GenericAPIView):
    permission_classes = [AllowAny, TokenScopePermission]
    serializer_class = ColourCardSerializer

    @extend_schema(parameters=[OpenApiParameter("colour", str, required=True, pattern=COLOUR_PATTERN,
                                                description=("#rrggbb (the # may be left out) or a swatch's "
                                                             "name: " + ", ".join(NAMED) + "."))],
        responses=ColourCardSerializer(many=True),
        description="Published works whose dominant colours are near `colour`, most of it first; each "
                    "card's `match` is the share of the work near it (0 to 1).")
    def get(self, request: Request) -> Response:
        colour = colour_parse(request.query_params.get("colour", ""))
        viewer = signed_in(request.user)
        matches = by_colour(colour=colour, user=viewer)
        page: list[ColourMatch] = self.paginate_queryset(matches) or []  # type: ignore[arg-type]
        found = feeds.publications_for([m.publication for m in page], user=viewer)
        shown = [m for m in page if m.publication in found]
        cards = publication_cards(request, [found[m.publication] for m in shown])
        return self.get_paginated_response([{**card, "match": m.match} for card, m in zip(cards, shown,
                                                                                         strict=True)])


class FollowView(APIView):
    @extend_schema(request=None, responses={204: None}, description="Follow the creator.")
    def post(self, request: Request, username: str) -> Response:
        services.follow_set(user=current_user(request), creator=selectors.creator_get(username=username),
                            following=True)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={204: None}, description="Stop following the creator.")
    def delete(self, request: Request, username: str) -> Response:
        services.follow_set(user=current_user(request), creator=selectors.creator_get(username=username),
                            following=False)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PreferencesView(APIView):
    @extend_schema(responses=PreferencesSerializer)
    def get(self, request: Request) -> Response:
        return Response(PreferencesSerializer(preferences.preferences_get(user=current_user(request))).data)

    @extend_schema(request=PreferencesInput, responses=PreferencesSerializer,
                   description="Change what is given: tag weights, blocked tags and creators, variety.")
    def put(self, request: Request) -> Response:
        data = validated(PreferencesInput, request)
        prefs = preferences.preferences_update(user=current_user(request), **data)
        return Response(PreferencesSerializer(prefs).data)


class OnboardingView(APIView):
    @extend_schema(request=OnboardingInput, responses=PreferencesSerializer,
                   description="The first visit: a few tags you like (an empty list skips).")
    def post(self, request: Request) -> Response:
        data = validated(OnboardingInput, request)
        prefs = preferences.onboarding_complete(user=current_user(request), **data)
        return Response(PreferencesSerializer(prefs).data)


class TagListView(generics.ListAPIView):
    permission_classes = [AllowAny, TokenScopePermission]
    serializer_class = TagSerializer
    pagination_class = None

    @extend_schema(parameters=[OpenApiParameter("q", str, description="Tags starting with this.")])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.popular_tags(prefix=self.request.query_params.get("q", "")[:40])


class CollectionListView(generics.ListAPIView):
    serializer_class = CollectionSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.collections_of(user=current_user(self.request))


class LikedView(generics.GenericAPIView):
    serializer_class = PublicationSerializer

    @extend_schema(operation_id="gallery_liked", responses=PublicationSerializer(many=True),
                   description="The works you liked that are still published, the latest like first.")
    def get(self, request: Request) -> Response:
        return _cards_page(self, request, selectors.liked_publications(user=current_user(request)))


class CollectionItemsView(generics.GenericAPIView):
    serializer_class = PublicationSerializer

    @extend_schema(operation_id="gallery_collections_items", responses=PublicationSerializer(many=True))
    def get(self, request: Request, collection_id: int) -> Response:
        user = current_user(request)
        collection = selectors.collection_get(user=user, collection_id=collection_id)
        works = selectors.collection_publications(collection=collection, user=user)
        return _cards_page(self, request, works)
