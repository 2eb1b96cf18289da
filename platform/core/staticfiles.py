"""Static files storage for production: hashed names, and the studio's ES modules importing each
other by their hashed names too, so a browser never mixes modules from two deploys."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
