"""The Users, Accounts and Teams lists and their items' own screens, with the
people-and-access actions.

Each list adds its actions to its view's (footer, help and palette treat them like every
write action). Actions with a form open it first; every call then goes through
`people.flow.send`: its tier's confirmation, a step-up code when needed, `WriteFlow.perform`.

Below 110 columns Enter shows an item on its own screen instead of beside the list. That
screen offers the same actions on the same keys through the same code (`UserActions`,
`AccountActions` and `TeamActions` serve both the list and the item's screen); its footer
gives its room to the actions on the item shown.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import SecretStr
from textual import events
from textual.binding import Binding

from stm_tui.api.models import (
    Account,
    CertificateProfile,
    Keypair,
    KeypairProfile,
    ReleaseWindow,
    Team,
    User,
)
from stm_tui.api.writes.access import start_authenticator
from stm_tui.api.writes.execute import WriteOutcome
from stm_tui.api.writes.teams import (
    CreateTeam,
    MapResources,
    TeamMember,
    add_member,
    create_team,
    map_resources,
    remove_member,
)
from stm_tui.api.writes.users import CreateUser, UpdateUser, create_user, set_roles
from stm_tui.api.writes.validation import RequestModel
from stm_tui.tui import actions, keys
from stm_tui.tui.areas import Area
from stm_tui.tui.people import actions as pa
from stm_tui.tui.people import forms
from stm_tui.tui.people.credentials import CredentialsScreen
from stm_tui.tui.people.enrol import EnrolScreen
from stm_tui.tui.people.flow import me_of, send
from stm_tui.tui.people.matrix import TeamMatrixScreen
from stm_tui.tui.screens.base import AreaScreen
from stm_tui.tui.screens.detail_screen import DetailScreen
from stm_tui.tui.screens.list_screen import ListScreen
from stm_tui.tui.writes.form import RequestForm
from stm_tui.tui.writes.shown_once import ShownOnceScreen
from stm_tui.views.access import affected_by_requirement, team_availability
from stm_tui.views.actions import WriteAction
from stm_tui.views.resources import ResourceView

# What a creation acts on when the list has no row selected: nothing in particular.
_NO_ITEM = object()


class PeopleActions(AreaScreen):
    """The extra write actions `EXTRA` on the screen's selected item: the list's cursor row
    or the item a detail screen shows."""

    EXTRA: tuple[WriteAction, ...] = ()
    CREATES: frozenset[str] = frozenset()

    def items(self, resource: str) -> list[Any]:
        return list(self.host.session.store.collection(resource).items.values())

    def extra_reason(self, action: WriteAction, item: Any) -> str | None:
        """A reason beyond the role, the mode and the item's state (a team one does not
        manage, an authenticator already enrolled)."""
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        result = super().check_action(action, parameters)
        if action == "write" and result and parameters:
            found = self._writes.get(str(parameters[0]))
            if found is not None and self.extra_reason(found, self.selected_item()):
                return None  # dimmed; the key says why
        return result

    def on_key(self, event: events.Key) -> None:
        if not self.EXTRA:
            return
        if self._write_keys is None:
            self._write_keys = self._keys_of_writes()
        action = self._write_keys.get(event.key)
        if action is None:
            return
        item = self.selected_item()
        if not self.host.write_availability(action, self._target(action, item)):
            return  # the list's own handler says why
        reason = self.extra_reason(action, item)
        if reason:
            event.stop()
            self.notify(f"{action.label}: {reason}", severity="warning", markup=False)

    def _target(self, action: WriteAction, item: Any) -> Any:
        return _NO_ITEM if item is None and action.id in self.CREATES else item

    def action_write(self, action_id: str) -> None:
        action = self._writes.get(action_id)
        if action is None or action not in self.EXTRA:
            super().action_write(action_id)
            return
        item = self.selected_item()
        state = self.host.write_availability(action, self._target(action, item))
        reason = None if not state else self.extra_reason(action, item)
        if not state or reason:
            why = reason or state.reason or "not available now"
            self.notify(f"{action.label}: {why}", severity="warning", markup=False)
            return
        if action.id in pa.FORM or action.build is None:
            self.open_form(action, item)
            return
        send(self.app, action.build(item), impact=action.impact(item))

    def open_form(self, action: WriteAction, item: Any) -> None:
        raise NotImplementedError

    def form(self, model: type[RequestModel], spec: Any, done: Any) -> None:
        def answered(value: Any) -> None:
            if value is not None:
                done(value)

        self.app.push_screen(RequestForm(model, spec), answered)


class PeopleDetailScreen(PeopleActions, DetailScreen):
    """One user, account or team on its own screen (narrow terminals)."""

    def write_binding(self, action: WriteAction) -> Binding:
        binding = actions.write_binding(action)
        # A creation is not about the item shown: on its key still (and in the help and the
        # palette), but the footer's room goes to the actions on the item.
        return replace(
            binding,
            description=pa.FOOTER_WORDS.get(action.id, binding.description),
            show=binding.show and action.id not in self.CREATES,
        )


class PeopleListScreen(PeopleActions, ListScreen):
    DETAIL: type[PeopleDetailScreen] = PeopleDetailScreen

    def __init__(self, area: Area, view: ResourceView) -> None:
        super().__init__(area, replace(view, actions=view.actions + self.EXTRA))

    def detail_screen(self, key: str, came_from: str | None) -> DetailScreen:
        return self.DETAIL(self.area, self.view, key, came_from=came_from)


# ---- users ----------------------------------------------------------------------------


class UserActions(PeopleActions):
    BINDINGS = keys.bindings("people.credentials")
    EXTRA = pa.USER_ACTIONS
    CREATES = frozenset({"user.create", "user.create_service", "authenticator.start"})

    def extra_reason(self, action: WriteAction, item: Any) -> str | None:
        if action.id != "authenticator.start":
            return None
        me = me_of(self.app)
        if me is None:
            return "who you are is not known yet"
        if me.user_type == "service":
            return "a service user has no authenticator (it cannot sign in to the browser)"
        if me.authenticator_enrolled or me.two_factor_enabled:
            return "your authenticator is already enrolled (an administrator can reset it)"
        return None

    def open_form(self, action: WriteAction, item: Any) -> None:
        users = [u for u in self.items("users") if isinstance(u, User)]
        if action.id == "user.create":
            self.form(CreateUser, forms.user_form(users), self._create)
        elif action.id == "user.create_service":
            self.form(forms.CreateServiceUser, forms.service_user_form(users), self._create)
        elif action.id == "user.roles" and isinstance(item, User):
            def chosen(model: UpdateUser) -> None:
                roles = tuple(model.roles or ())
                send(
                    self.app,
                    set_roles(item.id, item.display_name, roles),
                    affects=forms.lead_warning_lines(item.user_type, roles),
                )

            self.form(UpdateUser, forms.roles_form(item), chosen)

    def _create(self, model: CreateUser) -> None:
        warn = forms.lead_warning_lines(model.user_type, model.roles)
        then = self._token_shower() if model.user_type == "service" else None
        send(self.app, create_user(model), affects=warn, then=then)

    def _token_shower(self) -> Any:
        app = self.app

        def show(outcome: WriteOutcome) -> None:
            token = outcome.secret("api_token")
            if token is None:
                app.notify("the service did not return the token", severity="error")
                return
            _show_token(app, token, "The service user's API token")

        return show

    def action_write(self, action_id: str) -> None:
        if action_id == "authenticator.start":
            action = self._writes[action_id]
            state = self.host.write_availability(action, _NO_ITEM)
            reason = None if not state else self.extra_reason(action, None)
            if not state or reason:
                self.notify(f"{action.label}: {reason or state.reason}", severity="warning",
                            markup=False)
                return
            send(self.app, start_authenticator(), then=self._enrol)
            return
        super().action_write(action_id)

    def action_credentials(self) -> None:
        self.app.push_screen(CredentialsScreen())

    def _enrol(self, outcome: WriteOutcome) -> None:
        secret = outcome.secret("secret")
        if secret is None:
            self.app.notify("the service did not return a secret", severity="error")
            return
        uri = outcome.secret("otpauth_uri")
        account = outcome.secret("account_name")
        self.app.push_screen(
            EnrolScreen(
                secret,
                uri,
                account=account.get_secret_value() if account else "",
                server_date=outcome.server_date,
            )
        )


class UserDetailScreen(UserActions, PeopleDetailScreen):
    # One's own credentials are not about the user shown: on `t` still, out of the footer.
    BINDINGS = [keys.ACTIONS["people.credentials"].binding(show=False)]


class UsersScreen(UserActions, PeopleListScreen):
    DETAIL = UserDetailScreen


def _show_token(app: Any, token: SecretStr, title: str) -> None:
    app.push_screen(
        ShownOnceScreen(
            token,
            title=title,
            what="Give it to the pipeline that uses this service user (as SM_API_KEY).",
            hint="Revoking the service user's token later: stm-tui token revoke",
        )
    )


# ---- accounts -------------------------------------------------------------------------


class AccountActions(PeopleActions):
    EXTRA = pa.ACCOUNT_ACTIONS

    def extra_reason(self, action: WriteAction, item: Any) -> str | None:
        me = me_of(self.app)
        if isinstance(item, Account) and me is not None and item.id != me.primary_account_id:
            return "only for the account you are signed in to"
        return None

    def action_write(self, action_id: str) -> None:
        action = self._writes.get(action_id)
        item = self.selected_item()
        if action is None or action not in pa.ACCOUNT_ACTIONS or not isinstance(item, Account):
            super().action_write(action_id)
            return
        state = self.host.write_availability(action, item)
        reason = None if not state else self.extra_reason(action, item)
        if not state or reason:
            self.notify(f"{action.label}: {reason or state.reason}", severity="warning",
                        markup=False)
            return
        if action.build is None:  # every account action builds its call from the account
            self.notify(f"{action.label}: not available here", severity="error", markup=False)
            return
        call = action.build(item)
        if action is pa.REQUIRE_MFA:
            users = [u for u in self.items("users") if isinstance(u, User)]
            stopped = affected_by_requirement(users, self.host.now())
            affects = (
                [f"{len(stopped)} user(s) not ready will be stopped at sign-in:", *stopped]
                if stopped
                else ["every active user is ready (authenticator or client certificate)"]
            )
            what = f"two-factor sign-in for every user of {item.name}"
        else:
            affects = ["sign-in needs only a password again; tools still need the certificate"]
            what = f"no two-factor requirement in {item.name} (weaker sign-in)"
        send(self.app, call, affects=affects, approval_what=what)


class AccountDetailScreen(AccountActions, PeopleDetailScreen):
    pass


class AccountsScreen(AccountActions, PeopleListScreen):
    DETAIL = AccountDetailScreen


# ---- teams ----------------------------------------------------------------------------

_TEAM_MEMBERSHIP = frozenset(
    {"team.add_member", "team.remove_member", "team.set_permissions", "team.map",
     "team.deactivate"}
)


class TeamActions(PeopleActions):
    EXTRA = pa.TEAM_ACTIONS
    CREATES = frozenset({"team.create"})

    def extra_reason(self, action: WriteAction, item: Any) -> str | None:
        if action.id not in _TEAM_MEMBERSHIP or not isinstance(item, Team):
            return None
        state = team_availability(
            item, me_of(self.app), read_only=False, write_key=self.host.key_for("write_mode")
        )
        return None if state else state.reason

    def open_form(self, action: WriteAction, item: Any) -> None:
        me = me_of(self.app)
        me_id = me.id if me else None
        if action.id == "team.create":
            teams = [t for t in self.items("teams") if isinstance(t, Team)]
            self.form(CreateTeam, forms.team_form(teams), lambda m: send(self.app, create_team(m)))
            return
        if not isinstance(item, Team):
            return
        label = item.name or item.id
        users = {u.id: u for u in self.items("users") if isinstance(u, User)}
        if action.id == "team.add_member":
            def add(model: forms.AddMember) -> None:
                who = users.get(model.user_id)
                name = who.display_name if who else model.user_id
                member = TeamMember(user_id=model.user_id, is_lead=model.is_lead)
                send(self.app, add_member(item.id, label, member, name))

            self.form(forms.AddMember, forms.add_member_form(item, list(users.values()), me_id),
                      add)
        elif action.id == "team.remove_member":
            def remove(model: forms.RemoveMember) -> None:
                member = next((m for m in item.members if m.user_id == model.user_id), None)
                name = (member.name if member else None) or model.user_id
                send(self.app, remove_member(item.id, label, model.user_id, name))

            self.form(forms.RemoveMember, forms.remove_member_form(item, me_id), remove)
        elif action.id == "team.set_permissions":
            self.app.push_screen(TeamMatrixScreen(item, me_id))
        elif action.id == "team.map":
            spec, current = forms.map_form(
                item,
                keypairs=[k for k in self.items("keypairs") if isinstance(k, Keypair)],
                keypair_profiles=[
                    p for p in self.items("keypair_profiles") if isinstance(p, KeypairProfile)
                ],
                certificate_profiles=[
                    p for p in self.items("certificate_profiles")
                    if isinstance(p, CertificateProfile)
                ],
                releases=[r for r in self.items("releases") if isinstance(r, ReleaseWindow)],
            )

            def mapped(model: MapResources) -> None:
                changed = forms.changed_mapping(model, current)
                if changed is None:
                    self.app.notify("nothing changed: nothing sent", timeout=3)
                    return
                send(self.app, map_resources(item.id, label, changed))

            self.form(MapResources, spec, mapped)


class TeamDetailScreen(TeamActions, PeopleDetailScreen):
    # Six actions on a team fill 80 columns: `v` (full values) stays bound and in the help,
    # off the footer.
    BINDINGS = [*keys.shown("back"), *keys.bindings("full_values")]


class TeamsScreen(TeamActions, PeopleListScreen):
    DETAIL = TeamDetailScreen
