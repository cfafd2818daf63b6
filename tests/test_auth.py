"""Who may do what (analysis.auth): the rules as a table, the editors' configuration, identities from ID-token claims,
and the same rules enforced by the saved-scenario store on both back ends (files, PostgreSQL)."""

from __future__ import annotations

import pytest

from analysis import auth
from analysis import scenario as sc
from analysis.auth import ANONYMOUS_VISITOR, SINGLE_USER, Identity, PermissionDenied
from analysis.userstore import ScenarioStore, open_scenario_store, visible_names
from analysis.userstore_pg import PostgresScenarioStore

ALICE = Identity(auth.SIGNED_IN, "alice@x.org")
BOB = Identity(auth.SIGNED_IN, "bob@x.org")
EDITOR = Identity(auth.SIGNED_IN, "erin@x.org", editor=True)


@pytest.fixture(autouse=True)
def fixture_params(monkeypatch):
    monkeypatch.setattr(sc, "PARAM_MODULES", ("scenario_params_fixture",))


# ---------------------------------------------------------------- the rules


@pytest.mark.parametrize(
    "who, owner, shared, visible",
    [
        (SINGLE_USER, "alice@x.org", False, True),  # single-user mode: everything, as before
        (ANONYMOUS_VISITOR, None, True, True),  # an unowned scenario is shared
        (ANONYMOUS_VISITOR, "alice@x.org", True, True),
        (ANONYMOUS_VISITOR, "alice@x.org", False, False),  # the API answers as this visitor
        (BOB, "alice@x.org", False, False),
        (ALICE, "alice@x.org", False, True),
        (EDITOR, "alice@x.org", False, True),
    ],
)
def test_who_sees_a_scenario(who, owner, shared, visible):
    assert auth.can_view_scenario(who, owner, shared) is visible


@pytest.mark.parametrize(
    "who, owner, refused",
    [
        (SINGLE_USER, "alice@x.org", None),
        (SINGLE_USER, None, None),
        (ALICE, "alice@x.org", None),
        (EDITOR, "alice@x.org", None),
        (EDITOR, None, None),
        (BOB, "alice@x.org", "not_owner"),
        (BOB, None, "not_owner"),  # an old scenario without owner: editors only, once sign-in is on
        (ANONYMOUS_VISITOR, None, "sign_in"),
    ],
)
def test_who_changes_a_scenario(who, owner, refused):
    if refused is None:
        auth.check_change_scenario(who, "plan", owner)
    else:
        with pytest.raises(PermissionDenied) as caught:
            auth.check_change_scenario(who, "plan", owner)
        assert caught.value.code == refused and caught.value.target == "plan"


@pytest.mark.parametrize(
    "who, refused", [(SINGLE_USER, None), (EDITOR, None), (ALICE, "editors_only"), (ANONYMOUS_VISITOR, "sign_in")]
)
def test_only_editors_import_and_roll_back(who, refused):
    if refused is None:
        auth.check_editor(who, "import")
    else:
        with pytest.raises(PermissionDenied, match=refused):
            auth.check_editor(who, "import")


def test_editors_by_email_and_group_from_the_environment_and_settings(monkeypatch):
    monkeypatch.setenv("ATLAS_EDITORS", " Alice@X.org , group:Strategy,, group: ")
    editors = auth.configured_editors({"editors": ["carol@x.org", "group:finance"]})
    assert editors.emails == {"alice@x.org", "carol@x.org"}
    assert editors.groups == {"strategy", "finance"}


@pytest.mark.parametrize(
    "claims, user, editor",
    [
        ({"sub": "1", "email": "ALICE@x.org"}, "alice@x.org", True),
        ({"sub": "2", "email": "dan@x.org", "groups": ["strategy"]}, "dan@x.org", True),
        ({"sub": "3", "email": "dan@x.org", "groups": "Strategy"}, "dan@x.org", True),
        ({"sub": "4", "email": "dan@x.org", "groups": ["sales"]}, "dan@x.org", False),
        ({"sub": "5"}, "5", False),  # no e-mail: known by subject, never an editor by e-mail
        ({"sub": "alice@x.org"}, "alice@x.org", False),  # a subject that looks like an editor's e-mail is not one
    ],
)
def test_identity_from_id_token_claims(claims, user, editor):
    editors = auth.parse_editors("alice@x.org,group:strategy")
    who = auth.identity_from_claims(claims, editors)
    assert (who.mode, who.user, who.editor) == (auth.SIGNED_IN, user, editor)


def test_no_subject_and_no_email_is_not_signed_in():
    assert auth.identity_from_claims({}, auth.Editors()) == ANONYMOUS_VISITOR


# ---------------------------------------------------------------- enforced by the store, on both back ends


@pytest.fixture(params=["files", "postgres"])
def store(request, tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_USER_DATA_DIR", str(tmp_path / "userdata"))
    if request.param == "files":
        monkeypatch.delenv("ATLAS_USERDATA_URL", raising=False)
        made = open_scenario_store()
        assert isinstance(made, ScenarioStore)
    else:
        request.getfixturevalue("pg_url")
        made = open_scenario_store()
        assert isinstance(made, PostgresScenarioStore)
    return made


def test_a_signed_in_user_owns_what_they_save_and_others_cannot_change_it(store):
    store.save("alice-plan", sc.defaults(), actor=ALICE, shared=True)
    assert store.owners()["alice-plan"] == ("alice@x.org", True)
    with pytest.raises(PermissionDenied, match="not_owner"):
        store.delete("alice-plan", actor=BOB)
    with pytest.raises(PermissionDenied, match="not_owner"):
        store.save("alice-plan", {**sc.defaults(), "t_growth": 31.0}, actor=BOB)
    assert store.load("alice-plan") == sc.defaults()  # the refused replace changed nothing
    store.save("alice-plan", {**sc.defaults(), "t_growth": 31.0}, actor=EDITOR)  # an editor may; the owner stays
    assert store.owners()["alice-plan"] == ("alice@x.org", True)
    store.delete("alice-plan", actor=ALICE)
    assert store.names() == [sc.BASELINE_NAME]


def test_private_scenarios_are_seen_by_their_owner_and_editors_only(store):
    store.save("alice-private", sc.defaults(), actor=ALICE, shared=False)
    store.save("bob-shared", sc.defaults(), actor=BOB, shared=True)
    store.save("old", sc.defaults())  # single-user mode: no owner, shared
    assert visible_names(store, BOB) == [sc.BASELINE_NAME, "bob-shared", "old"]
    assert visible_names(store, ANONYMOUS_VISITOR) == [sc.BASELINE_NAME, "bob-shared", "old"]
    assert visible_names(store, ALICE) == [sc.BASELINE_NAME, "alice-private", "bob-shared", "old"]
    assert visible_names(store, EDITOR) == visible_names(store, SINGLE_USER) == store.names()


def test_an_anonymous_visitor_cannot_save_and_an_unowned_scenario_is_for_editors(store):
    with pytest.raises(PermissionDenied, match="sign_in"):
        store.save("anon", sc.defaults(), actor=ANONYMOUS_VISITOR)
    store.save("old", sc.defaults())
    assert store.owners()["old"] == (None, True)
    with pytest.raises(PermissionDenied, match="not_owner"):
        store.delete("old", actor=ALICE)
    store.delete("old", actor=EDITOR)
    assert store.names() == [sc.BASELINE_NAME]


def test_a_file_store_entry_without_owner_reads_as_shared(tmp_path):
    (tmp_path / "scenarios.json").write_text(
        '{"format": "compute-atlas-scenarios", "version": 1, "scenarios": {"legacy": {"values": {}}}}', encoding="utf-8"
    )
    assert ScenarioStore(tmp_path).owners() == {"legacy": (None, True)}


def test_a_file_store_entry_with_a_bad_owner_is_reported(tmp_path):
    from analysis.userstore import StoreError

    (tmp_path / "scenarios.json").write_text(
        '{"format": "compute-atlas-scenarios", "version": 1, "scenarios": {"x": {"values": {}, "owner": 5}}}',
        encoding="utf-8",
    )
    with pytest.raises(StoreError, match="owner"):
        ScenarioStore(tmp_path).names()
