"""The sandbox stands beside the product: bot/, handlers/ and storage/ never import it, except the one lazy
import with which ``python -m bot`` opens it (bot/cli.py, inside the function that runs the sandbox)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("bot", "handlers", "storage")


def sandbox_imports(path: Path) -> list[tuple[int, bool]]:
    """(line, at module level) of each import of the sandbox package in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
        if any(name == "sandbox" or name.startswith("sandbox.") for name in names):
            found.append((node.lineno, id(node) in top))
    return found


def test_the_product_does_not_import_the_sandbox():
    imports = {str(path.relative_to(ROOT)): found for package in PRODUCT for path in (ROOT / package).rglob("*.py")
               if (found := sandbox_imports(path))}
    assert set(imports) == {"bot/cli.py"}, imports
    assert all(not at_top for _, at_top in imports["bot/cli.py"])  # lazily, in the sandbox's own command


def test_bolt_and_slack_sdk_are_used_through_their_public_api():
    """No private names or internals modules of slack_bolt / slack_sdk, no private attributes of a Bolt app or a
    client, in the product or the sandbox (tests may look inside: tests/unit/test_guard.py compares with Bolt)."""
    found = []
    for package in (*PRODUCT, "sandbox"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
                module = (node.module or "") if isinstance(node, ast.ImportFrom) else ""
                if module.startswith(("slack_bolt", "slack_sdk")) and isinstance(node, ast.ImportFrom) and (
                        "internals" in module or any(a.name.startswith("_") for a in node.names)):
                    found.append(where)
                if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__") \
                        and isinstance(node.value, ast.Name) and node.value.id in ("app", "client", "web_client"):
                    found.append(where)
    assert found == []
