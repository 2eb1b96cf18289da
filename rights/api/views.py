from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import current_user
from generation.api.serializers import AestheticReportSerializer
from kernel.api.views import validated
from kernel.uploads import upload_limit
from projects.selectors import project_get
from rights import services
from rights.api.serializers import (
    AssetWorkInput,
    OwnersInput,
    ReviewSerializer,
    SubmitInput,
    UploadWorkInput,
    WorkSerializer,
)
from rights.models import Work
from rights.selectors import project_works, reviews_for, work_aesthetics, work_get, works_of


def _created(work: Work) -> Response:
    return Response(WorkSerializer(work).data, status=status.HTTP_201_CREATED)


class ProjectWorkListView(generics.ListAPIView):
    serializer_class = WorkSerializer
    token_scope = "rights"  # an API token needs the rights scope to write here (accounts.scopes)

    def get_queryset(self) -> QuerySet[Work]:
        project = project_get(project_id=self.kwargs["project_id"], user=self.request.user)
        return project_works(project=project, user=self.request.user)

    @extend_schema(request=AssetWorkInput, responses={201: WorkSerializer},
                   description="A draft work from one of the project's assets, fingerprinted, with "
                               "default co-owners from who made it.")
    def post(self, request: Request, project_id: int) -> Response:
        project_get(project_id=project_id, user=request.user)
        data = validated(AssetWorkInput, request)
        work, _similar = services.work_create(user=current_user(request), asset_id=data.pop("asset"), **data)
        return _created(work)


@upload_limit("WORK_MAX_BYTES")  # read no more of an upload than this (kernel.uploads)
class WorkListView(generics.ListAPIView):
    """The works you made or co-own."""

    serializer_class = WorkSerializer
    parser_classes = [MultiPartParser, FormParser]
    token_scope = "rights"

    def get_queryset(self) -> QuerySet[Work]:
        return works_of(current_user(self.request)).prefetch_related("owners__user")

    @extend_schema(request={"multipart/form-data": UploadWorkInput}, responses={201: WorkSerializer},
                   description="A draft work from a file you upload (type sniffed, size capped).")
    def post(self, request: Request) -> Response:
        data = validated(UploadWorkInput, request)
        upload = data.pop("file")
        work, _similar = services.work_create(user=current_user(request), upload=upload, filename=upload.name,
                                           **data)
        return _created(work)


class WorkDetailView(APIView):
    @extend_schema(responses=WorkSerializer)
    def get(self, request: Request, work_id: str) -> Response:
        return Response(WorkSerializer(work_get(work_id=work_id, user=request.user)).data)


class WorkAestheticsView(APIView):
    @extend_schema(responses=AestheticReportSerializer,
                   description="The work's aesthetic report: measures of its pixels with their meaning and "
                               "where it stands among published works; pending until measured.")
    def get(self, request: Request, work_id: str) -> Response:
        return Response(AestheticReportSerializer(work_aesthetics(work_id=work_id, user=request.user)).data)


class WorkOwnersView(APIView):
    token_scope = "rights"

    @extend_schema(request=OwnersInput, responses=WorkSerializer,
                   description="Set the co-owners and their shares; everyone confirms again.")
    def put(self, request: Request, work_id: str) -> Response:
        owners = [dict(owner) for owner in validated(OwnersInput, request)["owners"]]
        work = services.owners_set(work_id=work_id, user=current_user(request), owners=owners)
        return Response(WorkSerializer(work).data)


class WorkSubmitView(APIView):
    token_scope = "rights"

    @extend_schema(request=SubmitInput, responses=WorkSerializer,
                   description="Ask for registration; it is sent once every co-owner has confirmed.")
    def post(self, request: Request, work_id: str) -> Response:
        work = services.work_submit(work_id=work_id, user=current_user(request),
                                 **validated(SubmitInput, request))
        return Response(WorkSerializer(work).data)


class WorkConfirmView(APIView):
    token_scope = "rights"

    @extend_schema(request=None, responses=WorkSerializer,
                   description="As a co-owner, agree to the owners and shares as they are.")
    def post(self, request: Request, work_id: str) -> Response:
        work = services.work_confirm(work_id=work_id, user=current_user(request))
        return Response(WorkSerializer(work).data)


class ReviewListView(APIView):
    @extend_schema(responses=ReviewSerializer(many=True),
                   description="Registrations that look like works you own (or, for moderators, "
                               "everyone's), waiting for your decision.")
    def get(self, request: Request) -> Response:
        return Response(ReviewSerializer(reviews_for(current_user(request)), many=True).data)


class ReviewDecideView(APIView):
    token_scope = "rights"

    @extend_schema(request=None, responses=ReviewSerializer,
                   description="Approve (the registration goes on) or decline (it stops) a look-alike.")
    def post(self, request: Request, review_id: int, decision: str) -> Response:
        review = services.review_decide(review_id=review_id, user=current_user(request),
                                     approve=decision == "approve")
        return Response(ReviewSerializer(review).data)
