"""Block Kit limits checker.

Slack rejects a message or view that breaks one of its Block Kit limits (``invalid_blocks``,
``invalid_arguments``) and says little about where. slack-sdk's model classes validate only
some limits and never raw dicts, so Triad checks every payload it builds with this module: in
the unit tests and in the sandbox emulator, which refuses what Slack would refuse.

``problems(payload, surface)`` lists every problem found, each prefixed with the path of the
offending field (``"blocks[3].elements[1].text: 80 > 75 characters"``); ``check`` raises
``BlockKitError`` when the list is not empty. Lengths are ``len()`` of the Python string.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

__all__ = ["BlockKitError", "Surface", "check", "problems", "view_size"]

Surface = Literal["message", "modal", "home"]

MAX_BLOCKS: dict[str, int] = {"message": 50, "modal": 100, "home": 100}
MESSAGE_TEXT_MAX = 40_000
VIEW_BYTES_MAX = 250_000
ID_MAX = 255
PRIVATE_METADATA_MAX = 3000
VIEW_BUTTON_TEXT_MAX = 24  # modal title, submit and close

SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
SECTION_FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
CONTEXT_ELEMENTS_MAX = 10
ACTIONS_ELEMENTS_MAX = 25
INPUT_LABEL_MAX = 2000
INPUT_HINT_MAX = 2000
IMAGE_ALT_TEXT_MAX = 2000
IMAGE_TITLE_MAX = 2000
URL_MAX = 3000

BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
PLACEHOLDER_MAX = 150
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTION_DESCRIPTION_MAX = 75
OPTION_GROUPS_MAX = 100
OPTION_GROUP_LABEL_MAX = 75
OPTIONS_MAX_DEFAULT = 100
OPTIONS_MAX: dict[str, int] = {"checkboxes": 10, "radio_buttons": 10, "overflow": 5}

CONFIRM_TITLE_MAX = 100
CONFIRM_TEXT_MAX = 300
CONFIRM_BUTTON_MAX = 30

TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})
# Checkbox and radio options may use mrkdwn; every other option (selects, overflow) must not.
MRKDWN_OPTION_ELEMENTS = frozenset({"checkboxes", "radio_buttons"})
# Block types Slack accepts; a typo in a type is rejected by Slack, so it is reported here.
KNOWN_BLOCK_TYPES = frozenset(
    {
        "actions",
        "call",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)
# Keys under which a block holds interactive or context elements.
ELEMENT_KEYS = ("accessory", "element", "elements")


class BlockKitError(ValueError):
    """A payload breaks Block Kit rules; ``problems`` lists each one with its path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid Block Kit payload:\n  " + "\n  ".join(problems))
        self.problems = problems


def problems(payload: Mapping[str, Any], surface: Surface) -> list[str]:
    """Return every Block Kit problem in ``payload`` (empty list when it is valid).

    ``surface`` is ``"message"`` for a chat message (a dict with ``text``, ``blocks`` and/or
    ``attachments``), or ``"modal"`` / ``"home"`` for a view dict.
    """
    checker = _Checker()
    if surface == "message":
        checker.message(payload)
    elif surface in ("modal", "home"):
        checker.view(payload, surface)
    else:
        raise ValueError(f"unknown Block Kit surface {surface!r}")
    return checker.problems


def view_size(view: Mapping[str, Any]) -> int:
    """Bytes of the view's compact UTF-8 JSON, the measure of Slack's 250 kB view limit."""
    return len(json.dumps(view, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def check(payload: Mapping[str, Any], surface: Surface) -> None:
    """Raise ``BlockKitError`` if ``payload`` breaks any Block Kit rule on ``surface``."""
    found = problems(payload, surface)
    if found:
        raise BlockKitError(found)


class _Checker:
    """Walks one payload and collects problems; one instance per ``problems()`` call."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    # -- surfaces -------------------------------------------------------------------------

    def message(self, message: Mapping[str, Any]) -> None:
        text, blocks, attachments = (message.get(k) for k in ("text", "blocks", "attachments"))
        if not text and not blocks and not attachments:
            self._add("message", "needs non-empty text, blocks or attachments")
        if text is not None:
            self._length("text", text, MESSAGE_TEXT_MAX)
        self._blocks("blocks", blocks, MAX_BLOCKS["message"])
        if isinstance(attachments, Sequence) and not isinstance(attachments, str):
            for i, attachment in enumerate(attachments):
                if isinstance(attachment, Mapping):
                    self._blocks(f"attachments[{i}].blocks", attachment.get("blocks"), MAX_BLOCKS["message"])

    def view(self, view: Mapping[str, Any], surface: Surface) -> None:
        if view.get("type") != surface:
            self._add("type", f"must be {surface!r}, got {view.get('type')!r}")
        if surface == "modal":
            self._modal_chrome(view)
        for key in ("callback_id", "external_id"):
            self._optional_length(key, view.get(key), ID_MAX)
        self._optional_length("private_metadata", view.get("private_metadata"), PRIVATE_METADATA_MAX)
        size = view_size(view)
        if size > VIEW_BYTES_MAX:
            self._add("view", f"{size} > {VIEW_BYTES_MAX} bytes of JSON")
        if "blocks" not in view:
            self._add("blocks", "is required")
        self._blocks("blocks", view.get("blocks"), MAX_BLOCKS[surface])

    def _modal_chrome(self, view: Mapping[str, Any]) -> None:
        """Title, submit and close buttons: plain_text of at most 24 characters."""
        self._text("title", view.get("title"), VIEW_BUTTON_TEXT_MAX, plain_only=True)
        for key in ("submit", "close"):
            self._text(key, view.get(key), VIEW_BUTTON_TEXT_MAX, plain_only=True, required=False)
        blocks = view.get("blocks")
        has_input = isinstance(blocks, Sequence) and any(
            isinstance(b, Mapping) and b.get("type") == "input" for b in blocks
        )
        if has_input and view.get("submit") is None:
            self._add("submit", "is required when the modal has input blocks")

    # -- blocks ---------------------------------------------------------------------------

    def _blocks(self, path: str, blocks: Any, limit: int) -> None:
        if blocks is None:
            return
        if not _is_list(blocks):
            self._add(path, "must be a list of blocks")
            return
        self._count(path, blocks, limit, "blocks")
        seen: set[str] = set()
        for i, block in enumerate(blocks):
            block_path = f"{path}[{i}]"
            if not isinstance(block, Mapping):
                self._add(block_path, "must be an object")
                continue
            block_id = block.get("block_id")
            if block_id is not None:
                self._length(f"{block_path}.block_id", block_id, ID_MAX)
                if block_id in seen:
                    self._add(f"{block_path}.block_id", f"duplicate block_id {block_id!r}")
                seen.add(block_id)
            self._block(block_path, block)

    def _block(self, path: str, block: Mapping[str, Any]) -> None:
        kind = block.get("type")
        if kind not in KNOWN_BLOCK_TYPES:
            self._add(f"{path}.type", f"unknown block type {kind!r}")
            return
        specific = _BLOCK_CHECKS.get(kind)
        if specific is not None:
            specific(self, path, block)
        if kind != "rich_text":  # rich_text "elements" are rich text sections, not elements
            self._block_elements(path, block)

    def _block_elements(self, path: str, block: Mapping[str, Any]) -> None:
        """Check every element of a block; action_ids must be unique within the block."""
        action_ids: set[str] = set()
        for key in ELEMENT_KEYS:
            child = block.get(key)
            if child is None:
                continue
            if key == "elements":
                if not _is_list(child):
                    self._add(f"{path}.elements", "must be a list")
                    continue
                for i, element in enumerate(child):
                    self._element(f"{path}.elements[{i}]", element, action_ids)
            else:
                self._element(f"{path}.{key}", child, action_ids)

    def _section(self, path: str, block: Mapping[str, Any]) -> None:
        text, fields = block.get("text"), block.get("fields")
        if text is None and not fields:
            self._add(path, "section needs text or fields")
        if text is not None:
            self._text(f"{path}.text", text, SECTION_TEXT_MAX)
        if fields is None:
            return
        if not _is_list(fields):
            self._add(f"{path}.fields", "must be a list")
            return
        self._count(f"{path}.fields", fields, SECTION_FIELDS_MAX, "fields")
        for i, field in enumerate(fields):
            self._text(f"{path}.fields[{i}]", field, SECTION_FIELD_TEXT_MAX)

    def _header(self, path: str, block: Mapping[str, Any]) -> None:
        self._text(f"{path}.text", block.get("text"), HEADER_TEXT_MAX, plain_only=True)

    def _actions(self, path: str, block: Mapping[str, Any]) -> None:
        self._required_elements(path, block, ACTIONS_ELEMENTS_MAX)

    def _context(self, path: str, block: Mapping[str, Any]) -> None:
        self._required_elements(path, block, CONTEXT_ELEMENTS_MAX)

    def _required_elements(self, path: str, block: Mapping[str, Any], limit: int) -> None:
        elements = block.get("elements")
        if not elements:
            self._add(f"{path}.elements", "must be a non-empty list")
        elif _is_list(elements):
            self._count(f"{path}.elements", elements, limit, "elements")

    def _input(self, path: str, block: Mapping[str, Any]) -> None:
        self._text(f"{path}.label", block.get("label"), INPUT_LABEL_MAX, plain_only=True)
        self._text(f"{path}.hint", block.get("hint"), INPUT_HINT_MAX, plain_only=True, required=False)
        if block.get("element") is None:
            self._add(f"{path}.element", "is required")

    def _image_block(self, path: str, block: Mapping[str, Any]) -> None:
        self._image(path, block)
        self._text(f"{path}.title", block.get("title"), IMAGE_TITLE_MAX, plain_only=True, required=False)

    # -- elements -------------------------------------------------------------------------

    def _element(self, path: str, element: Any, action_ids: set[str]) -> None:
        if not isinstance(element, Mapping):
            self._add(path, "must be an object")
            return
        kind = element.get("type")
        if kind in TEXT_TYPES:  # context blocks hold bare text objects
            self._text(path, element, None)
            return
        if kind is None:
            self._add(f"{path}.type", "is required")
        self._action_id(path, element, action_ids)
        if kind == "button":
            self._button(path, element)
        elif kind == "image":
            self._image(path, element)
        if "placeholder" in element:
            self._text(f"{path}.placeholder", element["placeholder"], PLACEHOLDER_MAX, plain_only=True)
        self._element_options(path, element, str(kind))
        if "confirm" in element:
            self._confirm(f"{path}.confirm", element["confirm"])

    def _action_id(self, path: str, element: Mapping[str, Any], action_ids: set[str]) -> None:
        action_id = element.get("action_id")
        if action_id is None:
            return
        self._length(f"{path}.action_id", action_id, ID_MAX)
        if action_id in action_ids:
            self._add(f"{path}.action_id", f"duplicate action_id {action_id!r} in this block")
        action_ids.add(action_id)

    def _button(self, path: str, button: Mapping[str, Any]) -> None:
        self._text(f"{path}.text", button.get("text"), BUTTON_TEXT_MAX, plain_only=True)
        self._optional_length(f"{path}.value", button.get("value"), BUTTON_VALUE_MAX)
        self._optional_length(f"{path}.url", button.get("url"), URL_MAX)

    def _image(self, path: str, image: Mapping[str, Any]) -> None:
        alt_text = image.get("alt_text")
        if not alt_text:
            self._add(f"{path}.alt_text", "is required")
        else:
            self._length(f"{path}.alt_text", alt_text, IMAGE_ALT_TEXT_MAX)
        if image.get("image_url") is None and image.get("slack_file") is None:
            self._add(path, "needs image_url or slack_file")
        self._optional_length(f"{path}.image_url", image.get("image_url"), URL_MAX)

    def _element_options(self, path: str, element: Mapping[str, Any], kind: str) -> None:
        plain_only = kind not in MRKDWN_OPTION_ELEMENTS
        if "options" in element:
            limit = OPTIONS_MAX.get(kind, OPTIONS_MAX_DEFAULT)
            self._options(f"{path}.options", element["options"], limit, plain_only)
        if "option_groups" in element:
            self._option_groups(f"{path}.option_groups", element["option_groups"])
        if element.get("initial_option") is not None:
            self._option(f"{path}.initial_option", element["initial_option"], plain_only)
        initial_options = element.get("initial_options")
        if isinstance(initial_options, list):
            for i, option in enumerate(initial_options):
                self._option(f"{path}.initial_options[{i}]", option, plain_only)

    def _options(self, path: str, options: Any, limit: int, plain_only: bool) -> None:
        if not _is_list(options):
            self._add(path, "must be a list")
            return
        self._count(path, options, limit, "options")
        for i, option in enumerate(options):
            self._option(f"{path}[{i}]", option, plain_only)

    def _option_groups(self, path: str, groups: Any) -> None:
        if not _is_list(groups):
            self._add(path, "must be a list")
            return
        self._count(path, groups, OPTION_GROUPS_MAX, "option groups")
        for i, group in enumerate(groups):
            group_path = f"{path}[{i}]"
            if not isinstance(group, Mapping):
                self._add(group_path, "must be an object")
                continue
            self._text(f"{group_path}.label", group.get("label"), OPTION_GROUP_LABEL_MAX, plain_only=True)
            self._options(f"{group_path}.options", group.get("options"), OPTIONS_MAX_DEFAULT, True)

    def _option(self, path: str, option: Any, plain_only: bool) -> None:
        if not isinstance(option, Mapping):
            self._add(path, "must be an option object")
            return
        self._text(f"{path}.text", option.get("text"), OPTION_TEXT_MAX, plain_only=plain_only)
        if option.get("value") is None and option.get("url") is None:
            self._add(f"{path}.value", "is required")
        self._optional_length(f"{path}.value", option.get("value"), OPTION_VALUE_MAX)
        self._optional_length(f"{path}.url", option.get("url"), URL_MAX)
        self._text(f"{path}.description", option.get("description"), OPTION_DESCRIPTION_MAX, required=False)

    def _confirm(self, path: str, dialog: Any) -> None:
        if not isinstance(dialog, Mapping):
            self._add(path, "must be a confirmation dialog object")
            return
        self._text(f"{path}.title", dialog.get("title"), CONFIRM_TITLE_MAX, plain_only=True)
        self._text(f"{path}.text", dialog.get("text"), CONFIRM_TEXT_MAX)
        for key in ("confirm", "deny"):
            self._text(f"{path}.{key}", dialog.get(key), CONFIRM_BUTTON_MAX, plain_only=True)

    # -- primitives -----------------------------------------------------------------------

    def _text(
        self,
        path: str,
        obj: Any,
        limit: int | None,
        *,
        plain_only: bool = False,
        required: bool = True,
    ) -> None:
        """Check a text object: its type, a non-empty ``text`` and the length limit."""
        if obj is None:
            if required:
                self._add(path, "is required")
            return
        if not isinstance(obj, Mapping):
            self._add(path, "must be a text object")
            return
        kind = obj.get("type")
        if kind not in TEXT_TYPES:
            self._add(f"{path}.type", f"must be plain_text or mrkdwn, got {kind!r}")
        elif plain_only and kind != "plain_text":
            self._add(f"{path}.type", f"must be plain_text, got {kind!r}")
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            self._add(f"{path}.text", "must be a non-empty string")
        elif limit is not None:
            self._length(path, text, limit)

    def _optional_length(self, path: str, value: Any, limit: int) -> None:
        if value is not None:
            self._length(path, value, limit)

    def _length(self, path: str, value: Any, limit: int) -> None:
        if not isinstance(value, str):
            self._add(path, f"must be a string, got {type(value).__name__}")
        elif len(value) > limit:
            self._add(path, f"{len(value)} > {limit} characters")

    def _count(self, path: str, items: Sequence[Any], limit: int, what: str) -> None:
        if len(items) > limit:
            self._add(path, f"{len(items)} > {limit} {what}")

    def _add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")


_BLOCK_CHECKS = {
    "section": _Checker._section,
    "header": _Checker._header,
    "actions": _Checker._actions,
    "context": _Checker._context,
    "input": _Checker._input,
    "image": _Checker._image_block,
}


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))
