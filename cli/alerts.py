"""`dd0c-cost alerts`: the alerts circuit breakers kept, and their replay once the rule is fixed.

    dd0c-cost alerts kept   --workspace T0123 --account 123456789012
    dd0c-cost alerts replay --workspace T0123 --account 123456789012 [--flag detector.sizeJump]
                            (--deliver | --drop) [--by alice]

`replay` closes the breaker(s) (the flag is on again for the account, as flags.json says) and
puts the kept alerts back to pending (the running service's notifier posts them) or records them
as dropped. Settings come from the service's variables (MONGODB_URI, REDIS_URL, DD0C_REDIS_PREFIX).
Exit codes: 0 done; 2 bad arguments or configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage import Store

    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


def register(sub: SubParsers) -> None:
    """Add the `alerts` sub-command and its `kept` and `replay` actions."""
    parser = sub.add_parser(
        "alerts",
        help="alerts kept by circuit breakers: list, replay or drop them",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    kept = actions.add_parser("kept", help="open breakers and the alerts they kept")
    replay = actions.add_parser("replay", help="close the breaker(s); re-deliver or drop")
    for each in (kept, replay):
        each.add_argument("--workspace", required=True, help="Slack team id (the tenant)")
        each.add_argument("--account", required=True, help="12-digit AWS account id")
    replay.add_argument("--flag", help="only this flag's breaker (default: every open one)")
    what = replay.add_mutually_exclusive_group(required=True)
    what.add_argument("--deliver", action="store_const", const="deliver", dest="what")
    what.add_argument("--drop", action="store_const", const="drop", dest="what")
    replay.add_argument("--by", default=None, help="who decided (default: the OS user)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Connect with the service's settings and run the action."""
    from settings import ConfigError, load_settings

    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"dd0c-cost alerts: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_connected(settings, args))


async def _connected(settings: Any, args: argparse.Namespace) -> int:
    import redis.asyncio as aioredis

    from storage import open_store

    store = open_store(
        settings.mongodb_uri.get_secret_value() if settings.mongodb_uri else None,
        dev=settings.dev,
    )
    redis = aioredis.from_url(settings.redis_url.get_secret_value(), socket_timeout=5.0)
    try:
        print(await act(store, redis, settings.redis_prefix, args))
    finally:
        await redis.aclose()
        await store.close()
    return 0


async def act(store: Store, redis: Any, prefix: str, args: argparse.Namespace) -> str:
    """Run `kept` or `replay` on the given store and Redis; the text to print."""
    from flags.breaker import Breaker
    from governance.replay import kept_alerts, replay
    from storage.clock import utc_now

    breaker = Breaker(redis, prefix, utc_now)
    tenant, account = args.workspace, args.account
    if args.action == "kept":
        opened = await breaker.opened(tenant, account)
        lines = [f"open: {flag}: {info.get('reason', '')}" for flag, info in sorted(opened.items())]
        kept = await kept_alerts(store, tenant, account)
        lines += [f"kept: {a.id} {a.severity} {a.event_name} {a.size or ''}".rstrip() for a in kept]
        return "\n".join(lines) or f"no open breaker and no kept alert for {account}"
    done = await replay(
        store, breaker, tenant, account,
        action=args.what, by=args.by or getpass.getuser(), now=utc_now(), flag=args.flag,
    )  # fmt: skip
    return done.sentence
