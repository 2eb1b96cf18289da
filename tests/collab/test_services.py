"""The update log, attribution, versions, restore and compaction, through the services."""

import pytest
from pycrdt import Array, Map

from collab import selectors, services
from collab.attribution import apply_with_stats
from collab.models import Contribution, StoryboardDocument, StoryboardUpdate
from collab.schema import doc_json, doc_new, scene_new, scenes_of, title_of
from collab.selectors import document_for, document_load
from kernel.errors import NotFound, ValidationFailed
from projects.models import Activity
from tests.projects.factories import project_with_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return project_with_team()


def edit(team, user, change) -> int:
    """Edit like a client: make a change on a copy of the stored doc, append its update."""
    doc, _ = document_load(document=document_for(project=team.project))
    before = doc.get_state()
    change(doc)
    update = doc.get_update(before)
    stats, _ = apply_with_stats(document_load(document=document_for(project=team.project))[0], update)
    return services.update_append(project=team.project, user=user, update=update, stats=stats)


def test_attribution_counts_what_each_user_did(team):
    edit(team, team.owner, lambda doc: scenes_of(doc).append(scene_new(prompt="a lighthouse")))
    edit(team, team.editor, lambda doc: scenes_of(doc)[0]["prompt"].insert(0, "night, "))
    edit(team, team.editor, lambda doc: scenes_of(doc)[0]["comments"].append(
        Map({"id": "c1", "author": team.editor.username, "text": "darker?", "replies": Array()})))
    edit(team, team.owner, lambda doc: scenes_of(doc)[0]["prompt"].__delitem__(slice(0, 7)))
    edit(team, team.owner, lambda doc: scenes_of(doc).__delitem__(0))
    stats = {c.user: c for c in Contribution.objects.all()}
    owner, editor = stats[team.owner], stats[team.editor]
    assert (owner.updates, owner.scenes_added, owner.scenes_removed) == (3, 1, 1)
    assert (owner.chars_inserted, owner.chars_deleted) == (len("a lighthouse"), 7)
    assert (editor.chars_inserted, editor.comments, editor.updates) == (len("night, "), 1, 2)
    verbs = list(Activity.objects.filter(project=team.project, verb__startswith="storyboard.")
                 .values_list("verb", flat=True))
    assert sorted(verbs) == ["storyboard.scene_added", "storyboard.scene_removed"]
    listed = selectors.contribution_list(project=team.project, user=team.viewer)
    assert [c.user for c in listed] == [team.owner, team.editor]


def test_moving_a_scene_is_not_counted_as_adding_one():
    doc = doc_new()
    scenes_of(doc).extend([scene_new(prompt="one", scene_id="a"), scene_new(prompt="two", scene_id="b")])
    copy = doc_new(doc.get_update())
    before = copy.get_state()
    with copy.transaction():
        del scenes_of(copy)[0]
        scenes_of(copy).append(scene_new(prompt="one", scene_id="a"))
    stats, _ = apply_with_stats(doc, copy.get_update(before))
    assert (stats.scenes_added, stats.scenes_removed) == (0, 0)
    assert [s["id"] for s in doc_json(doc)["scenes"]] == ["b", "a"]


def test_sequence_numbers_are_contiguous_per_document(team):
    other = project_with_team()
    for _ in range(3):
        edit(team, team.owner, lambda doc: title_of(doc).insert(0, "x"))
        edit(other, other.owner, lambda doc: title_of(doc).insert(0, "y"))
    for project in (team.project, other.project):
        seqs = list(StoryboardUpdate.objects.filter(document__project=project).values_list("seq", flat=True))
        assert seqs == [1, 2, 3]
        assert StoryboardDocument.objects.get(project=project).head_seq == 3


def test_only_what_is_new_to_the_document_counts():
    doc, source = doc_new(), doc_new()
    title_of(source).insert(0, "abc")
    stats, new = apply_with_stats(doc, source.get_update())
    assert new and stats.chars_inserted == 3
    assert apply_with_stats(doc, source.get_update()) == (stats.__class__(), b"")  # a repeat


def test_not_an_update_writes_nothing(team):
    with pytest.raises(ValueError):
        apply_with_stats(doc_new(), b"\x01\x02\x03")
    assert not StoryboardUpdate.objects.exists()


def test_versions_save_preview_and_restore_as_a_new_update(team, django_capture_on_commit_callbacks):
    services.scene_add(project=team.project, user=team.owner, prompt="first take", duration=6)
    version = services.version_save(project=team.project, user=team.editor, label="Cut 1")
    services.scene_add(project=team.project, user=team.owner, prompt="second take")
    edit(team, team.owner, lambda doc: title_of(doc).insert(0, "Later title"))
    assert [v.label for v in selectors.version_list(project=team.project, user=team.viewer)] == ["Cut 1"]
    preview = selectors.version_preview(project=team.project, user=team.viewer, version_id=version.pk)
    assert [(s["prompt"], s["duration"]) for s in preview["scenes"]] == [("first take", 6.0)]

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        seq = services.version_restore(project=team.project, user=team.editor, version_id=version.pk)
    assert callbacks, "collaborators are notified after commit"
    current = selectors.storyboard_get(project=team.project, user=team.viewer)
    assert current["seq"] == seq == 4
    assert current["title"] == "" and [s["prompt"] for s in current["scenes"]] == ["first take"]
    assert Activity.objects.filter(verb="storyboard.version_restored", actor=team.editor).exists()
    with pytest.raises(NotFound):
        services.version_restore(project=project_with_team().project, user=team.owner,
                                 version_id=version.pk)
    with pytest.raises(ValidationFailed) as caught:
        services.version_save(project=team.project, user=team.owner, label="  ")
    assert "label" in caught.value.fields


def test_compaction_folds_the_log_and_keeps_later_updates(team):
    for word in ("one ", "two ", "three "):
        edit(team, team.owner, lambda doc, w=word: title_of(doc).insert(len(str(title_of(doc))), w))
    before = selectors.storyboard_get(project=team.project, user=team.owner)
    document = document_for(project=team.project)
    assert services.document_compact(document_id=document.pk) == 3
    document.refresh_from_db()
    assert (document.snapshot_seq, document.head_seq) == (3, 3)
    assert not StoryboardUpdate.objects.filter(document=document).exists()
    assert selectors.storyboard_get(project=team.project, user=team.owner) == before
    # Updates after the fold continue the sequence and load on top of the snapshot.
    assert edit(team, team.editor, lambda doc: title_of(doc).insert(0, ">> ")) == 4
    assert services.document_compact(document_id=document.pk) == 1
    assert selectors.storyboard_get(project=team.project, user=team.owner)["title"] == ">> one two three "
    assert Contribution.objects.get(user=team.owner).updates == 3  # statistics survive the fold


def test_the_log_is_compacted_automatically(team, settings, django_capture_on_commit_callbacks):
    settings.STORYBOARD_COMPACT_EVERY = 3
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from core.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(3):
                edit(team, team.owner, lambda doc: title_of(doc).insert(0, "z"))
    finally:
        app.conf.task_always_eager = False
    document = document_for(project=team.project)
    assert document.snapshot_seq == 3
    assert selectors.storyboard_get(project=team.project, user=team.owner)["title"] == "zzz"


def test_storyboard_json_is_plain_and_tolerates_odd_shapes(team):
    edit(team, team.owner, lambda doc: scenes_of(doc).extend([
        scene_new(prompt="ok", seed=42, camera="dolly in"), "not a scene",
        Map({"id": "bare"})]))
    data = selectors.storyboard_get(project=team.project, user=team.viewer)
    assert [s["id"] for s in data["scenes"]][1] == "bare"
    assert data["scenes"][0]["seed"] == 42 and data["scenes"][0]["camera"] == "dolly in"
    assert data["scenes"][1] == {"id": "bare", "prompt": "", "negative_prompt": "", "duration": 4.0,
                                 "camera": "", "style": "", "seed": None, "model": "", "comments": []}
