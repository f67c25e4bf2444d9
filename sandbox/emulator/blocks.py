"""Block Kit as Slack stores it: the interactive elements of a list of blocks, and the ids Slack fills in."""

from __future__ import annotations

import copy
import secrets
import string
from collections.abc import Iterator
from typing import Any

# Element types that never carry an action_id.
NON_INTERACTIVE_TYPES = frozenset({"image", "plain_text", "mrkdwn"})


def interactive_elements(blocks: Any) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Yield ``(block, element)`` for every interactive element of a list of blocks.

    Interactive elements are a section's accessory, an input's element and the elements of an
    actions block; context and rich_text blocks hold none.
    """
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, dict) or block.get("type") in ("context", "rich_text"):
            continue
        candidates = [block.get("accessory"), block.get("element")]
        if isinstance(block.get("elements"), list):
            candidates += block["elements"]
        for element in candidates:
            if isinstance(element, dict) and element.get("type") not in NON_INTERACTIVE_TYPES:
                yield block, element


def with_generated_ids(blocks: Any) -> Any:
    """A copy of ``blocks`` where missing block_ids and action_ids are generated, as Slack does."""
    blocks = copy.deepcopy(blocks)
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, dict):
            block.setdefault("block_id", _random_id())
    for _, element in interactive_elements(blocks):
        element.setdefault("action_id", _random_id())
    return blocks


def _random_id() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(5))
