"""The machinery behind the command table: choosing ids, splitting them, shell-quoting, fitting.

A recipe's template takes `{ids}` (many ids in one command) or per-id fields such as `{id}`,
`{function}`, `{cluster}` (one line per id); a template without fields is a lookup, shown once.
`--region` is always appended, and every value is shell-quoted except placeholders.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from string import Formatter

from bot.blocks.limits import escape

IDS_PER_COMMAND = 20
COMMAND_MAX = 2400  # mrkdwn characters of one suggestion's code block


class Placeholder(str):
    """A value the reader fills in; left unquoted so it stands out."""

    __slots__ = ()


Chooser = Callable[[Sequence[str]], list[str]]
Splitter = Callable[[str], Mapping[str, str]]


def _all(ids: Sequence[str]) -> list[str]:
    return list(ids)


def starting(*prefixes: str) -> Chooser:
    """The ids that start with one of `prefixes`."""
    return lambda ids: [i for i in ids if i.startswith(prefixes)]


def _not_starting(*prefixes: str) -> Chooser:
    return lambda ids: [i for i in ids if not i.startswith(prefixes)]


def unless_any(prefix: str) -> Chooser:
    """All ids when none starts with `prefix` (the fallback recipe of a pair), else none."""
    return lambda ids: [] if any(i.startswith(prefix) for i in ids) else list(ids)


def _plain(resource_id: str) -> Mapping[str, str]:
    return {"id": resource_id}


def function_qualifier(resource_id: str) -> Mapping[str, str]:
    """Function and qualifier of "name:qualifier" (the name may be an ARN)."""
    head, marker, tail = resource_id.rpartition(":function:")
    name, colon, qualifier = (tail if marker else resource_id).rpartition(":")
    if not colon or not name or not qualifier:
        return {"function": resource_id, "qualifier": Placeholder("QUALIFIER")}
    return {"function": f"{head}{marker}{name}", "qualifier": qualifier}


def cluster_nodegroup(resource_id: str) -> Mapping[str, str]:
    """Cluster and node group of "cluster/nodegroup"; a bare name gets CLUSTER_NAME."""
    cluster, slash, nodegroup = resource_id.partition("/")
    if slash and cluster and nodegroup:
        return {"cluster": cluster, "nodegroup": nodegroup}
    return {"cluster": Placeholder("CLUSTER_NAME"), "nodegroup": resource_id}


@dataclass(frozen=True, slots=True)
class Recipe:
    """One suggested command: `{ids}` takes many ids, `{id}`-style fields one per line."""

    label: str
    template: str
    destructive: bool = False
    choose: Chooser = _all
    split: Splitter = _plain


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A rendered recipe: its command (None: use the console) and how many ids it left out."""

    label: str
    command: str | None
    destructive: bool = False
    hidden: int = 0


INSTANCE = _not_starting("sir-", "fleet-")
SPOT = starting("sir-")
FLEET = starting("fleet-")
ARN = starting("arn:")
EMR_ID = starting("j-")


def bare_nodegroups(ids: Sequence[str]) -> list[str]:
    """One id standing for the lookup, when some node group has no cluster in its id."""
    return [i for i in ids if "/" not in i][:1]


def emr_names(ids: Sequence[str]) -> list[str]:
    """One id standing for the lookup, when some cluster is known by name only."""
    return [i for i in ids if not i.startswith("j-")][:1]


def _quote(value: str) -> str:
    return value if isinstance(value, Placeholder) else shlex.quote(value)


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def render(recipe: Recipe, ids: Sequence[str], region: str) -> str:
    """The recipe's shell text for these ids in this region."""
    suffix = f" --region {shlex.quote(region)}"
    fields = _fields(recipe.template)
    if "ids" in fields:
        return recipe.template.format(ids=" ".join(map(shlex.quote, ids))) + suffix
    if not fields:
        return recipe.template + suffix
    lines = []
    for resource_id in ids:
        values = {k: _quote(v) for k, v in recipe.split(resource_id).items()}
        lines.append(recipe.template.format(**values) + suffix)
    return "\n".join(lines)


def fit(recipe: Recipe, ids: Sequence[str], region: str, budget: int) -> tuple[str, int]:
    """The command with as many ids as fit (at least one), and how many were left out."""
    best = render(recipe, ids[:1], region)
    shown = 1
    for count in range(2, min(len(ids), IDS_PER_COMMAND) + 1):
        text = render(recipe, ids[:count], region)
        if len(escape(text)) > budget:
            break
        best, shown = text, count
    return best, len(ids) - shown
