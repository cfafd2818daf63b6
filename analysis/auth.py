"""Who may do what with the user data: plain rules over an identity, called by the pages and the stores.

Three modes:
- single-user (no sign-in configured, the embedded default): one local user who may do everything, as before;
- signed in through the organisation's OpenID Connect provider: everyone may view shared scenarios and save,
  replace and delete their own; editors (named by e-mail or group claim in `ATLAS_EDITORS` or the app's
  `[roles]` settings) may also import, roll back and restore, and change or delete anyone's scenario;
- anonymous (sign-in configured, visitor not signed in, or the read-only API): views shared scenarios only.

A scenario without an owner (saved before owners existed, or in single-user mode) is shared, and only an
editor changes it once sign-in is configured.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

SINGLE, SIGNED_IN, ANONYMOUS = "single", "signed_in", "anonymous"
LOCAL_USER = "local user"  # the actor the audit log records in single-user mode
GROUP_PREFIX = "group:"
GROUP_CLAIMS = ("groups", "roles")  # where providers put group membership in the ID token
MAX_USER_CHARS = 200


class PermissionDenied(Exception):
    """An action this identity may not take. `code` picks the translated message:
    `sign_in` (not signed in), `not_owner` (another user's scenario), `editors_only` (import, rollback)."""

    def __init__(self, code: str, target: str = ""):
        super().__init__(f"{code}: {target}" if target else code)
        self.code, self.target = code, target


@dataclass(frozen=True)
class Editors:
    emails: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Identity:
    mode: str
    user: str = ""  # e-mail (lower case) or the provider's subject; LOCAL_USER in single-user mode
    editor: bool = False

    @property
    def signed_in(self) -> bool:
        return self.mode == SIGNED_IN

    @property
    def actor(self) -> str:
        """The name the audit log records."""
        return self.user or "anonymous"


SINGLE_USER = Identity(SINGLE, LOCAL_USER, editor=True)
ANONYMOUS_VISITOR = Identity(ANONYMOUS)


def parse_editors(spec: str | Iterable[str] | None) -> Editors:
    """`alice@x.org, group:strategy` (or a list of such entries) → e-mails and groups, compared case-blind."""
    if spec is None:
        return Editors()
    entries = spec.split(",") if isinstance(spec, str) else [str(each) for each in spec]
    emails, groups = set(), set()
    for entry in (each.strip() for each in entries):
        if entry.lower().startswith(GROUP_PREFIX):
            if entry[len(GROUP_PREFIX) :].strip():
                groups.add(entry[len(GROUP_PREFIX) :].strip().casefold())
        elif entry:
            emails.add(entry.casefold())
    return Editors(frozenset(emails), frozenset(groups))


def configured_editors(roles_section: Mapping[str, object] | None = None) -> Editors:
    """Editors from `ATLAS_EDITORS` and from a `[roles]` settings section (`editors = [...]`), together."""
    from_env = parse_editors(os.environ.get("ATLAS_EDITORS", ""))
    listed = (roles_section or {}).get("editors") or []
    from_settings = parse_editors(listed if not isinstance(listed, str) else listed)
    return Editors(from_env.emails | from_settings.emails, from_env.groups | from_settings.groups)


def _claim_groups(claims: Mapping[str, object]) -> set[str]:
    found = set()
    for name in GROUP_CLAIMS:
        value = claims.get(name)
        items = [value] if isinstance(value, str) else value if isinstance(value, list | tuple) else []
        found |= {str(each).strip().casefold() for each in items if str(each).strip()}
    return found


def identity_from_claims(claims: Mapping[str, object], editors: Editors) -> Identity:
    """A signed-in visitor from the ID token's claims: known by e-mail when the provider gives one, else by subject."""
    email = str(claims.get("email") or "").strip().casefold()
    user = (email or str(claims.get("sub") or "").strip())[:MAX_USER_CHARS]
    if not user:
        return ANONYMOUS_VISITOR
    editor = bool(email and email in editors.emails) or bool(_claim_groups(claims) & editors.groups)
    return Identity(SIGNED_IN, user, editor=editor)


def can_view_scenario(who: Identity, owner: str | None, shared: bool) -> bool:
    return who.mode == SINGLE or shared or not owner or owner == who.user or who.editor


def check_change_scenario(who: Identity, name: str, owner: str | None) -> None:
    """Replace or delete scenario `name` (owned by `owner`, None for an unowned one); PermissionDenied if not allowed."""
    if who.mode == SINGLE:
        return
    if not who.signed_in:
        raise PermissionDenied("sign_in", name)
    if who.editor or (owner and owner == who.user):
        return
    raise PermissionDenied("not_owner", name)


def check_save_new(who: Identity) -> None:
    """Save a scenario under a new name: anyone signed in (or the single local user)."""
    if who.mode != SINGLE and not who.signed_in:
        raise PermissionDenied("sign_in")


def check_editor(who: Identity, action: str = "") -> None:
    """Import, roll back, restore, read the audit log: editors only (everything is allowed in single-user mode)."""
    if who.mode == SINGLE or who.editor:
        return
    raise PermissionDenied("sign_in" if not who.signed_in else "editors_only", action)


def owner_for_new(who: Identity) -> str | None:
    """The owner a new scenario gets: the signed-in user; none in single-user mode (shared, as before)."""
    return who.user if who.signed_in else None
