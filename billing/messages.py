"""Every sentence a customer reads about paying (one module, STYLE §5)."""

from __future__ import annotations

PRICE_USD = 19
PRO_PRICE = f"${PRICE_USD} per connected AWS account per month"
DISABLED = (
    "Pro cannot be bought on this dd0c service yet: billing is not configured "
    "(STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_PRICE_ID). Ask whoever runs it."
)
UPGRADE_BUTTON = "Upgrade to Pro"


def upgraded(accounts: int) -> str:
    """Told in the alert channel when Checkout completed."""
    plural = "account" if accounts == 1 else "accounts"
    return (
        f":tada: This workspace is on dd0c Pro now ({PRO_PRICE}; {accounts} {plural} "
        "connected). Connect every account you want watched with /dd0c connect."
    )


def resumed(account_ids: list[str]) -> str:
    """Told when Pro came back and paused accounts are watched again."""
    return f"Watching {', '.join(account_ids)} again (paused while on the free plan)."


def downgraded(kept: str | None, paused: list[str]) -> str:
    """Told when the subscription ended: what is still watched, what is paused."""
    head = "Your dd0c Pro subscription ended; this workspace is on the free plan now."
    if kept is None:
        return head
    text = f"{head} dd0c keeps watching account {kept} (the first connected)."
    if paused:
        text += (
            f" Paused: {', '.join(paused)}. Their events are not read while paused; their data is "
            "kept and nothing is deleted. Upgrade to Pro again (/dd0c upgrade) to resume them."
        )
    return text
