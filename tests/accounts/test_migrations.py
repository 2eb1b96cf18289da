"""Tokens made before scopes existed keep what they could do, and never expire."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0001_initial")]
AFTER = [("accounts", "0002_email_verification_token_scopes")]


@pytest.mark.django_db(transaction=True)
def test_existing_tokens_get_the_scopes_they_had() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        user = old.get_model("accounts", "User").objects.create(username="old", email="old@example.com")
        old.get_model("accounts", "ApiToken").objects.create(user=user, name="cli", prefix="abcd1234",
                                                             key_hash="0" * 64)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    new = executor.loader.project_state(AFTER).apps
    token = new.get_model("accounts", "ApiToken").objects.get(name="cli")
    assert (token.scopes, token.expires_at) == (["read", "write", "generate", "rights"], None)
    assert new.get_model("accounts", "User").objects.get(username="old").email_verified_at is None
