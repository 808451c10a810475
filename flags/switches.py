"""What the flags switch for one workspace and account, evaluated locally through OpenFeature.

The flagd provider reads `flags.json` in FILE mode (no network), reloads it when it changes and
keeps the last good flags if it breaks. Each flag's `metadata.gates` says what it switches:

    detector:<name>                  off -> the engine's detector is not run (engine.detectors)
    parsers:<source>/<Name>[,...]    off -> those CloudTrail events are skipped (new parsers)
    weight:<Thresholds field>        off -> that weight is 0 (size / actor novelty)
    threshold:<field>=<number>       on  -> the candidate value replaces the current one
                                           (`z.<sensitivity>` for the z-score thresholds)

The context is the workspace (`targeting_key` and attribute `workspace`) and the AWS `account`,
so JsonLogic targeting can turn a flag on for some workspaces only. A flag that cannot be
evaluated is off (the safe default: a new rule stays quiet) and the reason is logged. Flags a
circuit breaker opened for an account are off for that account. The > $25/h safety net is not a
detector and nothing here can switch it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from openfeature import api
from openfeature.contrib.provider.flagd import FlagdProvider
from openfeature.contrib.provider.flagd.config import ResolverType
from openfeature.evaluation_context import EvaluationContext
from openfeature.event import EventDetails, ProviderEvent

from engine.detectors import DETECTORS
from engine.thresholds import DEFAULT_THRESHOLDS, Thresholds
from flags.definitions import DEFAULT_PATH, FlagsError, load_flags

logger = logging.getLogger(__name__)

GateKind = Literal["detector", "parsers", "weight", "threshold"]
_FLOAT_FIELDS = frozenset(
    f.name for f in fields(Thresholds) if isinstance(getattr(DEFAULT_THRESHOLDS, f.name), float)
)
OpenFlags = Callable[[str, str], Awaitable[frozenset[str]]]
"""(tenant, account) -> the flags a circuit breaker switched off there."""


@dataclass(frozen=True, slots=True)
class Gate:
    """What one flag switches."""

    kind: GateKind
    names: tuple[str, ...]
    value: float | None = None


def parse_gate(text: str) -> Gate:
    """`metadata.gates` as a Gate; FlagsError when it names nothing the engine knows."""
    kind, _, rest = text.partition(":")
    if kind == "detector" and rest in DETECTORS:
        return Gate("detector", (rest,))
    if kind == "parsers" and rest:
        return Gate("parsers", tuple(n.strip() for n in rest.split(",") if n.strip()))
    if kind == "weight" and rest.startswith("weight_") and rest in _FLOAT_FIELDS:
        return Gate("weight", (rest,))
    if kind == "threshold":
        name, _, value = rest.partition("=")
        if _threshold_known(name):
            try:
                return Gate("threshold", (name,), float(value))
            except ValueError:
                pass
    raise FlagsError(f"gates {text!r}: not a detector, parsers, weight or threshold this knows")


def _threshold_known(name: str) -> bool:
    if name.startswith("z."):
        return name[2:] in DEFAULT_THRESHOLDS.z
    return name in _FLOAT_FIELDS


@dataclass(frozen=True, slots=True)
class Switched:
    """The evaluated switches for one workspace and account (what the engine is given)."""

    enabled: frozenset[str]
    parsers_off: frozenset[str]
    thresholds: Thresholds
    flags_on: tuple[str, ...] = ()
    signals_of: MappingProxyType[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    """Flag name -> the anomaly signals its rule produces (the circuit breaker's attribution)."""

    def parses(self, event_source: str, event_name: str) -> bool:
        """Whether events of this kind are processed (not behind a parser flag that is off)."""
        return f"{event_source}/{event_name}" not in self.parsers_off


ALL_ON = Switched(frozenset(DETECTORS), frozenset(), DEFAULT_THRESHOLDS)
"""Everything on, the thresholds as decided: the engine's behaviour without flags."""


def _signals(gate: Gate) -> tuple[str, ...]:
    if gate.kind == "detector":
        return gate.names
    if gate.kind == "weight":
        return {"weight_size": ("sizeNovelty",), "weight_actor": ("actorNovelty",)}.get(
            gate.names[0], ("regionNovelty",) if gate.names[0] == "weight_region" else ()
        )
    if gate.kind == "threshold":
        return ("zOutlier",)
    return ()


def compose(states: Iterable[tuple[str, Gate, bool]], base: Thresholds) -> Switched:
    """The switches from each flag's gate and whether it is on."""
    enabled, parsers_off, thresholds = set(DETECTORS), set[str](), base
    on: list[str] = []
    signals: dict[str, tuple[str, ...]] = {}
    for name, gate, is_on in states:
        if is_on:
            on.append(name)
            signals[name] = _signals(gate)
        thresholds = _apply(gate, is_on, thresholds)
        if not is_on and gate.kind == "detector":
            enabled -= set(gate.names)
        if not is_on and gate.kind == "parsers":
            parsers_off |= set(gate.names)
    return Switched(
        frozenset(enabled), frozenset(parsers_off), thresholds, tuple(sorted(on)),
        MappingProxyType(signals),
    )  # fmt: skip


def _apply(gate: Gate, is_on: bool, t: Thresholds) -> Thresholds:
    if gate.kind == "weight" and not is_on:
        return _with(t, gate.names[0], 0.0)
    if gate.kind != "threshold" or not is_on or gate.value is None:
        return t
    name = gate.names[0]
    if name.startswith("z."):
        z: dict[Any, float] = dict(t.z)
        z[name[2:]] = gate.value
        return _with(t, "z", MappingProxyType(z))
    return _with(t, name, gate.value)


def _with(t: Thresholds, name: str, value: object) -> Thresholds:
    changes: dict[str, Any] = {name: value}
    return replace(t, **changes)


def validate(path: Path) -> None:
    """Raise FlagsError (one line) when flags.json or one of its gates is invalid."""
    for flag in load_flags(path).flags.values():
        parse_gate(flag.metadata.gates)


class Switches:
    """flags.json through the OpenFeature SDK (flagd provider, FILE mode), cached per account."""

    def __init__(
        self,
        path: Path = DEFAULT_PATH,
        *,
        breaker: OpenFlags | None = None,
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
    ) -> None:
        self.path = path
        self._breaker = breaker
        self._base = thresholds
        self._gates = self._read_gates()
        self._cache: dict[tuple[str, str], Switched] = {}
        self._lock = threading.Lock()
        self._reloaded = threading.Condition(self._lock)
        self.generation = 0
        """How many times the file was reloaded since start."""
        self._domain = f"dd0c-flags-{id(self)}"
        self._provider = FlagdProvider(
            resolver_type=ResolverType.FILE, offline_flag_source_path=str(path)
        )
        self._client = api.get_client(self._domain)

    def _read_gates(self) -> dict[str, Gate]:
        defined = load_flags(self.path).flags
        return {name: parse_gate(flag.metadata.gates) for name, flag in defined.items()}

    def start(self) -> None:
        """Load the flags (blocks until the provider is ready; call it off the event loop)."""
        api.set_provider_and_wait(self._provider, self._domain)
        self._client.add_handler(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, self._changed)

    def shutdown(self) -> None:
        """Stop watching the file."""
        self._provider.shutdown()

    def _changed(self, details: EventDetails) -> None:
        try:
            gates = self._read_gates()
        except FlagsError as exc:
            logger.warning("flags.json changed but is invalid, the last good flags stay: %s", exc)
            return
        with self._lock:
            self._gates, self._cache = gates, {}
            self.generation += 1
            self._reloaded.notify_all()
        logger.info("flags.json reloaded: %d flags", len(gates))

    def wait_reload(self, after: int, timeout: float) -> bool:
        """Block until the file was reloaded past generation `after` (False on timeout)."""
        with self._reloaded:
            return self._reloaded.wait_for(lambda: self.generation > after, timeout)

    def evaluate(self, tenant: str, account: str) -> Switched:
        """The flags for one workspace and account (local: no network call)."""
        key = (tenant, account)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        context = EvaluationContext(tenant, {"workspace": tenant, "account": account})
        states = [
            (name, gate, self._on(name, context)) for name, gate in sorted(self._gates.items())
        ]
        switched = compose(states, self._base)
        with self._lock:
            self._cache[key] = switched
        return switched

    def _on(self, name: str, context: EvaluationContext) -> bool:
        details = self._client.get_boolean_details(name, False, context)
        if details.error_code is not None:
            logger.warning(
                "flag %s could not be evaluated (%s: %s): off",
                name, details.error_code, details.error_message,
            )  # fmt: skip
        return bool(details.value)

    async def switched(self, tenant: str, account: str) -> Switched:
        """The flags for the account, with those its circuit breakers opened switched off."""
        switched = self.evaluate(tenant, account)
        if self._breaker is None or not switched.flags_on:
            return switched
        tripped = await self._breaker(tenant, account)
        if not tripped & set(switched.flags_on):
            return switched
        states = [
            (name, gate, name in switched.flags_on and name not in tripped)
            for name, gate in sorted(self._gates.items())
        ]
        return compose(states, self._base)
