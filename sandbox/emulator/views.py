"""views.*: modals (a stack 3 views deep, opened with single-use trigger ids that expire after 3 s),
App Home, view hashes and external ids, as Slack keeps and refuses them."""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Iterator, Mapping
from typing import Any

from bot import blockkit
from sandbox.emulator.blocks import with_generated_ids
from sandbox.emulator.records import EmulatorError, EventKind, Trigger, View
from sandbox.emulator.state import Method, Workspace
from sandbox.emulator.wire import required

MAX_MODAL_STACK = 3


class Views(Workspace):
    """Each member's modal stack and Home tab, and the trigger ids interactions carry."""

    trigger_ttl: float

    def _clear_activity(self) -> None:
        super()._clear_activity()
        self._modal_stacks: dict[str, list[View]] = {}
        self._homes: dict[str, View] = {}
        self._triggers: dict[str, Trigger] = {}

    def _web_api(self) -> dict[str, Method]:
        return {
            **super()._web_api(),
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
        }

    # -- what Slack does with an interaction's answer (used by the driver) --------------------

    def issue_trigger(self, user_id: str) -> str:
        """Register a fresh trigger_id for an interaction by ``user_id`` (valid ``trigger_ttl`` s)."""
        with self._changing():
            trigger_id = f"{next(self._ids)}.{int(time.time())}.{secrets.token_hex(8)}"
            self._triggers[trigger_id] = Trigger(user_id, time.monotonic())
            return trigger_id

    def close_modal(self, user_id: str) -> None:
        """Close every view of the user's modal (``response_action: clear``, or X on a root)."""
        with self._changing():
            for view in reversed(self._modal_stacks.pop(user_id, [])):
                self._emit("view_closed", None, user_id, self._view_api(view))

    def pop_modal(self, user_id: str) -> dict[str, Any] | None:
        """Close the top view only (submitting or cancelling a pushed view); returns it."""
        with self._changing():
            stack = self._modal_stacks.get(user_id)
            if not stack:
                return None
            view = self._view_api(stack.pop())
            if not stack:
                del self._modal_stacks[user_id]
            self._emit("view_closed", None, user_id, view)
            return view

    def replace_top_modal(self, user_id: str, view: Mapping[str, Any]) -> dict[str, Any]:
        """Replace the top view's content, keeping its id (``response_action: update``)."""
        with self._changing():
            stack = self._modal_stacks.get(user_id)
            if not stack:
                raise EmulatorError("not_found", [f"no modal is open for {user_id}"])
            return self._update_view(stack[-1], self._checked_view(view, "modal"))

    def push_modal(self, user_id: str, view: Mapping[str, Any]) -> dict[str, Any]:
        """Push a view on the user's modal (``response_action: push``); at most 3 deep."""
        with self._changing():
            return self._push_view(user_id, self._checked_view(view, "modal"))

    # -- observation ----------------------------------------------------------------------

    def view(self, view_id: str) -> dict[str, Any] | None:
        """The current version of an open modal view or a Home view, or None."""
        with self._cond:
            return next((self._view_api(v) for v in self._all_views() if v.id == view_id), None)

    def home(self, user_id: str) -> dict[str, Any] | None:
        """The App Home view last published for the user."""
        with self._cond:
            view = self._homes.get(user_id)
            return self._view_api(view) if view else None

    def open_modal(self, user_id: str) -> dict[str, Any] | None:
        """The view the user currently sees in a modal (top of the stack), or None."""
        with self._cond:
            stack = self._modal_stacks.get(user_id)
            return self._view_api(stack[-1]) if stack else None

    def modal_stack(self, user_id: str) -> list[dict[str, Any]]:
        """The user's modal views, root first."""
        with self._cond:
            return [self._view_api(view) for view in self._modal_stacks.get(user_id, [])]

    # -- helpers on state (call with the lock held) ---------------------------------------

    def _new_hash(self) -> str:
        return f"{int(time.time())}.{secrets.token_hex(4)}"

    def _view_api(self, view: View) -> dict[str, Any]:
        return view.to_api(self.team_of(view.user) or self.team_id, self.app_id, self.bot_id)

    def _checked_view(self, view: Any, surface: blockkit.Surface) -> dict[str, Any]:
        """A copy of a view argument with generated ids, refused as Slack refuses it."""
        if not isinstance(view, Mapping):
            raise EmulatorError("invalid_arguments", ["view must be a JSON object"])
        if view.get("type") != surface:
            raise EmulatorError("invalid_arguments", [f"view type must be {surface!r}"])
        if blockkit.view_size(view) > blockkit.VIEW_BYTES_MAX:
            raise EmulatorError("view_too_large")
        if self.validate_blocks:
            found = blockkit.problems(view, surface)
            if found:
                raise EmulatorError("invalid_arguments", found)
        checked = copy.deepcopy(dict(view))
        checked["blocks"] = with_generated_ids(checked.get("blocks") or [])
        return checked

    def _check_external_id(self, payload: Mapping[str, Any], view_id: str | None) -> None:
        external_id = payload.get("external_id")
        if external_id and any(v.external_id == external_id and v.id != view_id for v in self._all_views()):
            raise EmulatorError("duplicate_external_id")

    def _all_views(self) -> Iterator[View]:
        for stack in self._modal_stacks.values():
            yield from stack
        yield from self._homes.values()

    def _find_view(self, view_id: str | None, external_id: str | None) -> View:
        for view in self._all_views():
            if (view_id and view.id == view_id) or (external_id and view.external_id == external_id):
                return view
        raise EmulatorError("not_found")

    def _exchange_trigger(self, trigger_id: Any) -> Trigger:
        """Use a trigger_id once, within its lifetime, as Slack requires."""
        trigger = self._triggers.get(trigger_id) if isinstance(trigger_id, str) else None
        if trigger is None:
            raise EmulatorError("invalid_trigger_id")
        if trigger.used:
            raise EmulatorError("exchanged_trigger_id")
        if time.monotonic() - trigger.issued_at > self.trigger_ttl:
            raise EmulatorError("expired_trigger_id")
        trigger.used = True
        return trigger

    def _new_view(self, user: str, payload: dict[str, Any], root: View | None, previous: View | None) -> View:
        view_id = f"V{self._run}{next(self._ids):06d}"
        return View(view_id, user, payload, self._new_hash(), root.id if root else view_id,
                    previous.id if previous else None)

    def _push_view(self, user: str, payload: dict[str, Any]) -> dict[str, Any]:
        stack = self._modal_stacks.get(user)
        if not stack:
            raise EmulatorError("not_found", [f"no modal is open for {user} to push onto"])
        if len(stack) >= MAX_MODAL_STACK:
            raise EmulatorError("push_limit_reached")
        self._check_external_id(payload, None)
        view = self._new_view(user, payload, stack[0], stack[-1])
        stack.append(view)
        data = self._view_api(view)
        self._emit("view_pushed", None, user, data)
        return data

    def _update_view(self, view: View, payload: dict[str, Any]) -> dict[str, Any]:
        self._check_external_id(payload, view.id)
        view.payload, view.hash = payload, self._new_hash()
        data = self._view_api(view)
        kind: EventKind = "home_published" if payload.get("type") == "home" else "view_updated"
        self._emit(kind, None, view.user, data)
        return data

    # -- Web API methods (called with the lock held; args already parsed) -----------------

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        """Open a new modal; any modal the user had open is replaced."""
        payload = self._checked_view(args.get("view"), "modal")
        trigger = self._exchange_trigger(args.get("trigger_id"))
        self._check_external_id(payload, None)
        view = self._new_view(trigger.user, payload, None, None)
        self._modal_stacks[trigger.user] = [view]
        data = self._view_api(view)
        self._emit("view_opened", None, trigger.user, data)
        return {"view": data}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        payload = self._checked_view(args.get("view"), "modal")
        trigger = self._exchange_trigger(args.get("trigger_id"))
        return {"view": self._push_view(trigger.user, payload)}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id, external_id = args.get("view_id"), args.get("external_id")
        if not view_id and not external_id:
            raise EmulatorError("invalid_arguments", ["view_id or external_id is required"])
        view = self._find_view(view_id, external_id)
        payload = self._checked_view(args.get("view"), view.payload.get("type", "modal"))
        if args.get("hash") and args["hash"] != view.hash:
            raise EmulatorError("hash_conflict")
        return {"view": self._update_view(view, payload)}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(required(args, "user_id"))
        if self._member(user) is None:
            raise EmulatorError("user_not_found")
        payload = self._checked_view(args.get("view"), "home")
        current = self._homes.get(user)
        if current is None:
            self._check_external_id(payload, None)
            current = self._homes[user] = self._new_view(user, payload, None, None)
            data = self._view_api(current)
            self._emit("home_published", None, user, data)
            return {"view": data}
        if args.get("hash") and args["hash"] != current.hash:
            raise EmulatorError("hash_conflict")
        return {"view": self._update_view(current, payload)}
