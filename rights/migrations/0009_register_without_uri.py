"""The registry's `register` no longer takes a metadata URI (its template gives it): outbox rows
queued for it and not signed yet drop theirs. Rows already signed keep theirs: they were signed for
the registry they were sent to."""

from django.db import migrations


def drop_uri(apps, schema_editor):
    ChainTx = apps.get_model("rights", "ChainTx")
    for tx in ChainTx.objects.filter(function="register", status="pending"):
        if len(tx.args) == 6:  # contentHash, iscc, metadataURI, termsHash, owners, shares
            tx.args = [*tx.args[:2], *tx.args[3:]]
            tx.save(update_fields=["args"])


class Migration(migrations.Migration):
    dependencies = [("rights", "0008_chaintx_request_id")]

    operations = [migrations.RunPython(drop_uri, migrations.RunPython.noop)]
