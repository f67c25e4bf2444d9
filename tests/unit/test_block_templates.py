"""Block Kit templates are compiled once: a render builds data without parsing any text."""
from __future__ import annotations

import pytest
import yaml
from markupsafe import Markup

from bot import i18n
from bot.blocktemplate import BlockTemplateError, compile_template
from bot.i18n import Reader, render

TEMPLATE = """\
{# a comment #}
type: modal
title: {{ title }}
blocks:
{% for row in rows if row.shown %}
  - block_id: {{ "row" ~ loop.index }}
    first: {{ loop.first }}
{% if row.kind == "a" %}
    kind: alpha
{% elif row.kind == "b" %}
    kind: beta
{% else %}
    kind: {{ row.kind }}
{% endif %}
{% else %}
  - block_id: none
{% endfor %}
{% for key, value in pairs %}
  - {{ {key: value} }}
{% endfor %}
  - filetypes: [jpg, png]
    max: 5
"""


def build(**values):
    return compile_template(TEMPLATE, i18n._blocks_env, "test")(values)


def test_loops_conditions_and_values_build_the_data_the_yaml_describes():
    rows = [{"shown": True, "kind": "a"}, {"shown": False, "kind": "a"}, {"shown": True, "kind": "b"},
            {"shown": True, "kind": "c"}]
    data = build(title=Markup("*Hi*"), rows=rows, pairs=[("x", (1, 2))])
    assert data == {"type": "modal", "title": "*Hi*", "blocks": [
        {"block_id": "row1", "first": True, "kind": "alpha"},
        {"block_id": "row2", "first": False, "kind": "beta"},
        {"block_id": "row3", "first": False, "kind": "c"},
        {"x": [1, 2]},
        {"filetypes": ["jpg", "png"], "max": 5},
    ]}
    assert type(data["title"]) is str  # Markup is plain data once built
    assert build(title="", rows=[], pairs=[])["blocks"][0] == {"block_id": "none"}


def test_each_render_gets_its_own_data():
    first = build(title="a", rows=[], pairs=[])
    first["blocks"].append("changed by a caller")
    assert len(build(title="a", rows=[], pairs=[])["blocks"]) == 2


def test_a_missing_variable_is_an_error_not_a_blank():
    with pytest.raises(Exception, match="rows"):
        build(title="a", pairs=[])


def test_templates_the_compiler_cannot_read_are_refused_with_the_reason():
    with pytest.raises(BlockTemplateError, match="whole value"):
        compile_template("a: x{{ y }}\n", i18n._blocks_env, "bad")
    with pytest.raises(BlockTemplateError, match="line of its own"):
        compile_template("a: {% if y %}1{% endif %}\n", i18n._blocks_env, "bad")
    with pytest.raises(BlockTemplateError, match="not closed"):
        compile_template("a:\n{% if y %}\n  - 1\n", i18n._blocks_env, "bad")


def test_a_render_parses_no_yaml(monkeypatch):
    reader = Reader(lang="zh")
    first = render("report_notice", reader, text="已记录")

    def no_parsing(*args, **kwargs):
        raise AssertionError("YAML parsed during a render")

    for name in ("load", "safe_load", "compose", "parse", "load_all"):
        monkeypatch.setattr(yaml, name, no_parsing)
    assert render("report_notice", reader, text="已记录") == first


def test_every_template_in_prompts_compiles():
    for path in sorted((i18n.PROMPTS / "blocks").glob("*.yml.j2")):
        i18n._block_template(path.name.removesuffix(".yml.j2"))
