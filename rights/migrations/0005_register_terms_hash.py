"""`register` takes the work's licence terms hash (fourth argument) since the registry put it on
chain: registrations still waiting in the outbox get it from their work. Ones already signed keep
their bytes (they were built for the registry they were sent to)."""

from django.db import migrations


def add_terms_hash(apps, schema_editor):
    ChainTx = apps.get_model("rights", "ChainTx")
    for tx in ChainTx.objects.filter(function="register", status="pending", raw="").select_related("work"):
        if len(tx.args) == 5 and tx.work is not None:
            tx.args = [*tx.args[:3], f"0x{tx.work.terms_sha256}", *tx.args[3:]]
            tx.save(update_fields=["args"])


class Migration(migrations.Migration):
    dependencies = [("rights", "0004_chain_events_custody")]

    operations = [migrations.RunPython(add_terms_hash, migrations.RunPython.noop)]
