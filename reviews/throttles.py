"""Reviews and replies posted from one client address, on the page and the API counted together:
a second bound (DEFAULT_THROTTLE_RATES["review_post"], THROTTLE_REVIEW_POST), through the kernel's
per-address throttle, on top of each account's own limit (reviews.services: REVIEWS_PER_MINUTE and
REVIEWS_PER_DAY), for many accounts posting from one place."""

from django.http import HttpRequest

from kernel.api.throttles import AddressRateThrottle, throttle_wait

SCOPE = "review_post"


class ReviewPostThrottle(AddressRateThrottle):
    """The API's (PublicationReviewsView, for a POST)."""


def review_post_wait(request: HttpRequest) -> int | None:
    """The page's: count one post from the request's address; None when allowed, else the seconds
    to wait (nothing counted then)."""
    return throttle_wait(ReviewPostThrottle(), request, SCOPE)
