"""Block Kit templates (``prompts/blocks/*.yml.j2``) compiled once into builders of Python data.

A template is YAML whose values may be Jinja2 expressions (``{{ … }}``, each a whole value) and
whose lines may be wrapped in ``{% for %}`` / ``{% if %}`` / ``{% elif %}`` / ``{% else %}`` blocks,
each tag on a line of its own. Rendering the text and parsing it as YAML cost a third of a worker's
CPU, so instead the YAML is parsed once, with each tag line turned into a marker entry of the
mapping or list it sits in; a render then walks that tree, evaluating the compiled expressions.
An expression's value is used as data (Markup becomes a plain string), exactly as if it had been
written into the YAML as a JSON literal.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import yaml
from jinja2 import Environment, TemplateSyntaxError, nodes
from jinja2.runtime import Context as JinjaContext
from jinja2.runtime import Undefined


class _Pairs(list[tuple[Any, Any]]):
    """A YAML mapping as its entries in order: branches of an {% if %} may set the same key."""


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


_Loader.add_constructor("tag:yaml.org,2002:map", lambda loader, node: _Pairs(loader.construct_pairs(node, deep=True)))
_COMMENT = re.compile(r"\{#.*?#\}", re.S)
_EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.S)
_TAG_LINE = re.compile(r"^[ \t]*\{%-?\s*(.*?)\s*-?%\}[ \t]*$")
_EXPRESSION_MARK = re.compile(r"__triad_expression_(\d+)__")
_TAG_MARK = re.compile(r"__triad_tag_(\d+)__")

Context = dict[str, Any]
Emitter = Callable[[Context, Any], None]  # adds its entries to a list or a dict
Entries = list[tuple[str | None, Any]]  # (the tag of a marker or None, the entry)


class BlockTemplateError(Exception):
    """A template this compiler cannot read; the message names the template and the problem."""


def compile_template(source: str, env: Environment, name: str) -> Callable[[Context], Any]:
    """A function from a render's variables to the template's data, fresh on every call."""
    build = _Compiler(env, name).compile(source)
    return lambda values: build(_Variables(values))


class _Variables(dict[str, Any]):
    """A render's variables and the one Jinja context all its expressions evaluate in (made by the first):
    a context per expression was most of a render's time."""

    __slots__ = ("jinja",)

    def __init__(self, values: Context) -> None:
        super().__init__(values)
        self.jinja: JinjaContext | None = None


_VALUE_NAME = "_triad_value"  # where an expression leaves its value in the shared context


class _Compiler:
    def __init__(self, env: Environment, name: str) -> None:
        self.env, self.name = env, name
        self.expressions: list[str] = []
        self.tags: list[str] = []

    def fail(self, problem: str) -> BlockTemplateError:
        return BlockTemplateError(f"prompts/blocks/{self.name}: {problem}")

    # -- the one parse: tags become markers, expressions placeholders ------------------------------

    def compile(self, source: str) -> Callable[[Context], Any]:
        def hold(match: re.Match[str]) -> str:
            self.expressions.append(match.group(1).strip())
            return f"__triad_expression_{len(self.expressions) - 1}__"

        lines = _EXPRESSION.sub(hold, _COMMENT.sub("", source)).splitlines()
        if "{%" in "\n".join(line for line in lines if not _TAG_LINE.match(line)):
            raise self.fail("each {% … %} tag must stand on a line of its own")
        try:
            tree = yaml.load("\n".join(self._marked(lines)), Loader=_Loader)
        except yaml.YAMLError as exc:
            raise self.fail(f"not YAML once its tags are set aside: {exc}") from None
        return self.value(tree)

    def _marked(self, lines: list[str]) -> list[str]:
        """Each tag line as an entry of the list or mapping around it, laid out like the lines it wraps."""
        layouts: list[tuple[int, bool]] = []  # the open blocks' (indent, in a list)
        marked = []
        for number, line in enumerate(lines):
            tag = _TAG_LINE.match(line)
            if tag is None:
                marked.append(line)
                continue
            word = tag.group(1).split(None, 1)[0] if tag.group(1) else ""
            if word in ("for", "if"):
                layouts.append(self._layout_of_next(lines, number))
            elif not layouts:
                raise self.fail(f"{{% {tag.group(1)} %}} without its opening tag")
            indent, in_list = layouts[-1]
            if word in ("endfor", "endif"):
                layouts.pop()
            self.tags.append(tag.group(1))
            mark = f"__triad_tag_{len(self.tags) - 1}__"
            marked.append(" " * indent + (f"- {mark}" if in_list else f"{mark}: null"))
        if layouts:
            raise self.fail("a {% for %} or {% if %} is not closed")
        return marked

    @staticmethod
    def _layout_of_next(lines: list[str], number: int) -> tuple[int, bool]:
        for line in lines[number + 1:]:
            if line.strip() and not _TAG_LINE.match(line):
                content = line.lstrip(" ")
                return len(line) - len(content), content == "-" or content.startswith("- ")
        return 0, False

    # -- the tree into builders ------------------------------------------------------------------

    def value(self, node: Any) -> Callable[[Context], Any]:
        if isinstance(node, _Pairs):
            emitters = self.block([(self._tag_of(key), (key, value)) for key, value in node], self.entry)
            return lambda ctx: _run(emitters, ctx, {})
        if isinstance(node, list):
            emitters = self.block([(self._tag_of(item), item) for item in node], self.item)
            return lambda ctx: _run(emitters, ctx, [])
        if isinstance(node, str):
            if whole := _EXPRESSION_MARK.fullmatch(node):
                expression = self.expression(self.expressions[int(whole.group(1))])
                return lambda ctx: _data(expression(ctx))
            if _EXPRESSION_MARK.search(node) or _TAG_MARK.search(node):
                raise self.fail(f"{{{{ … }}}} must be a whole value, not part of one: {self._shown(node)!r}")
        return lambda ctx: node

    def entry(self, key_value: tuple[Any, Any]) -> Emitter:
        key, value = key_value
        if isinstance(key, str) and _EXPRESSION_MARK.search(key):
            raise self.fail(f"a key cannot be an expression: {self._shown(key)!r}")
        build = self.value(value)
        return lambda ctx, out: out.__setitem__(key, build(ctx))

    def item(self, node: Any) -> Emitter:
        build = self.value(node)
        return lambda ctx, out: out.append(build(ctx))

    def _tag_of(self, node: Any) -> str | None:
        mark = _TAG_MARK.fullmatch(node) if isinstance(node, str) else None
        return self.tags[int(mark.group(1))] if mark else None

    def _shown(self, text: str) -> str:
        return _EXPRESSION_MARK.sub(lambda m: "{{ " + self.expressions[int(m.group(1))] + " }}", text)

    def block(self, entries: Entries, compile_entry: Callable[[Any], Emitter]) -> list[Emitter]:
        emitters, end = self._until(entries, 0, (), compile_entry)
        return emitters

    def _until(self, entries: Entries, pos: int, stops: tuple[str, ...],
               compile_entry: Callable[[Any], Emitter]) -> tuple[list[Emitter], int]:
        emitters: list[Emitter] = []
        while pos < len(entries):
            tag, payload = entries[pos]
            if tag is None:
                emitters.append(compile_entry(payload))
                pos += 1
                continue
            word = tag.split(None, 1)[0]
            if word in stops:
                return emitters, pos
            if word == "for":
                body, pos = self._until(entries, pos + 1, ("else", "endfor"), compile_entry)
                otherwise: list[Emitter] = []
                if self._word(entries, pos) == "else":
                    otherwise, pos = self._until(entries, pos + 1, ("endfor",), compile_entry)
                self._expect(entries, pos, "endfor", tag)
                emitters.append(self.loop(tag, body, otherwise))
            elif word == "if":
                branches = []
                condition = tag
                while True:
                    body, pos = self._until(entries, pos + 1, ("elif", "else", "endif"), compile_entry)
                    branches.append((self.expression(condition.split(None, 1)[1]), body))
                    if self._word(entries, pos) != "elif":
                        break
                    condition = str(entries[pos][0])
                otherwise = []
                if self._word(entries, pos) == "else":
                    otherwise, pos = self._until(entries, pos + 1, ("endif",), compile_entry)
                self._expect(entries, pos, "endif", tag)
                emitters.append(_choice(branches, otherwise))
            else:
                raise self.fail(f"{{% {tag} %}} is not supported here (for, if, elif, else only)")
            pos += 1
        if stops:
            raise self.fail(f"{{% {stops[-1]} %}} missing in a list or mapping")
        return emitters, pos

    @staticmethod
    def _word(entries: Entries, pos: int) -> str | None:
        tag = entries[pos][0] if pos < len(entries) else None
        return tag.split(None, 1)[0] if tag else None

    def _expect(self, entries: Entries, pos: int, word: str, opening: str) -> None:
        if self._word(entries, pos) != word:
            raise self.fail(f"{{% {opening} %}} must be closed by {{% {word} %}} in the same list or mapping")

    def expression(self, source: str) -> Callable[[Context], Any]:
        try:
            self.env.compile_expression(source)  # its errors name the problem best
            template = self.env.from_string(f"{{% set {_VALUE_NAME} = ({source}) %}}")
        except TemplateSyntaxError as exc:
            raise self.fail(f"{{{{ {source} }}}}: {exc.message}") from None
        evaluate = template.root_render_func

        def value(ctx: Context) -> Any:
            variables = ctx if isinstance(ctx, _Variables) else _Variables(ctx)
            if variables.jinja is None:
                variables.jinja = template.new_context(variables)
            for _ in evaluate(variables.jinja):
                pass
            return variables.jinja.vars[_VALUE_NAME]

        return value

    def loop(self, tag: str, body: list[Emitter], otherwise: list[Emitter]) -> Emitter:
        """Jinja itself runs the loop (targets, ``if`` filters, ``loop.index``); each pass adds the body."""
        try:
            parsed = self.env.parse(f"{{% {tag} %}}{{% endfor %}}").body[0]
        except TemplateSyntaxError as exc:
            raise self.fail(f"{{% {tag} %}}: {exc.message}") from None
        assert isinstance(parsed, nodes.For)
        target = parsed.target
        names = [target.name] if isinstance(target, nodes.Name) else [n.name for n in target.find_all(nodes.Name)]
        runner = self.env.from_string(f"{{% {tag} %}}{{{{ _each(loop, {', '.join(names)}) }}}}{{% endfor %}}")

        def emit(ctx: Context, out: Any) -> None:
            passes = 0

            def each(loop: Any, *values: Any) -> str:
                nonlocal passes
                passes += 1
                _run(body, _Variables({**ctx, **dict(zip(names, values, strict=True)), "loop": loop}), out)
                return ""

            runner.render({**ctx, "_each": each})
            if not passes:
                _run(otherwise, ctx, out)

        return emit


def _choice(branches: list[tuple[Callable[[Context], Any], list[Emitter]]], otherwise: list[Emitter]) -> Emitter:
    def emit(ctx: Context, out: Any) -> None:
        for condition, body in branches:
            if condition(ctx):
                _run(body, ctx, out)
                return
        _run(otherwise, ctx, out)

    return emit


def _run(emitters: list[Emitter], ctx: Context, out: Any) -> Any:
    for emit in emitters:
        emit(ctx, out)
    return out


def _data(value: Any) -> Any:
    """What the value would read back as from JSON: Markup is a str, tuples are lists, other objects their text."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return value if type(value) is str else str(value)
    if isinstance(value, dict):
        return {k if type(k) is str else _key(k): _data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_data(v) for v in value]
    return str(value)  # a StrictUndefined raises here, naming the missing variable


def _key(key: Any) -> str:
    return str(key) if isinstance(key, (str, Undefined)) else json.dumps(key, default=str)
