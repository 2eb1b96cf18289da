from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from kernel.tasks import time_limits
from recommend import embeddings, reception, training


@shared_task(name="recommend.tasks.publication_embed", ignore_result=True)
def publication_embed(*, publication_id: int) -> bool:
    """Compute a published work's text embedding (when published, and when its text changes)."""
    return embeddings.publication_embed(publication_id=publication_id)


@shared_task(name="recommend.tasks.text_embed", ignore_result=True)
def text_embed(*, text: str) -> None:
    """A render's text embedded for its predicted reception (recommend.reception), kept in the cache."""
    reception.text_embed(text=text)


@shared_task(name="recommend.tasks.user_vector_refresh", ignore_result=True)
def user_vector_refresh(*, user_id: int) -> bool:
    """A viewer's collaborative factors from their latest signals (between retrains)."""
    return training.user_vector_refresh(user_id=user_id)


# (A retrain stopped at its soft limit leaves the model in use as it was: the next one replaces it.)
@shared_task(name="recommend.tasks.retrain", ignore_result=True,
             **time_limits(settings.RECOMMEND_RETRAIN_TIME_LIMIT_S))
def retrain() -> str | None:
    """Embed what is missing and retrain on every signal (Celery beat, every RECOMMEND_RETRAIN_S)."""
    embeddings.embed_missing()
    version = training.retrain()
    return version.version if version else None


@worker_ready.connect
def _first_model(sender: Any, **_: Any) -> None:
    """A `default` worker starting with no usable model (a new platform, or its models' folder
    gone) trains one now instead of at the next beat, an hour away."""
    if "default" in {queue.name for queue in sender.task_consumer.queues} and not training.model_usable():
        retrain.delay()
