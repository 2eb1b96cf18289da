from celery import shared_task

from core import demo_gallery


@shared_task(name="core.tasks.demo_gallery_step", ignore_result=True)
def demo_gallery_step(*, step: int) -> None:
    """A round of seeding the demo gallery; again in a few seconds until it is done."""
    if not demo_gallery.demo_gallery_step() and step < demo_gallery.MAX_STEPS:
        demo_gallery_step.apply_async(kwargs={"step": step + 1}, countdown=demo_gallery.STEP_DELAY_S)
