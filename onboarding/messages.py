"""Every sentence a customer reads about connecting or disconnecting an AWS account.

A `Problem` is something the customer (or, for `unreachable`, nobody) must fix: a stable `code`
for programs (Slack buttons, the stack's Lambda), `what` happened and how to `fix` it. The codes:

| code                 | when                                                                |
| -------------------- | ------------------------------------------------------------------- |
| external_id_mismatch | AssumeRole answered AccessDenied (AWS never says why)               |
| trust_policy_wrong   | the role can be assumed WITHOUT the ExternalId (confused deputy)    |
| role_missing         | not a valid role ARN, or AWS says the role does not exist           |
| permissions_missing  | the role works but denies the read it must allow (ec2:DescribeRegions) |
| wrong_account        | the role (or the identity it gives) is in another account            |
| stack_deleted        | the stack's delete callback, or a connected account's role is gone  |
| unreachable          | network, throttling, or AWS refusing dd0c's own credentials         |
| upgrade_required     | a free workspace already has its one account                        |
| account_taken        | the account is connected to another workspace                       |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ROLE_NAME = "dd0c-cost-readonly"
STACK_NAME = "dd0c-cost"
PROBED_ACTION = "ec2:DescribeRegions"
DELETE_WITHIN_HOURS = 72

ProblemCode = Literal[
    "external_id_mismatch",
    "trust_policy_wrong",
    "role_missing",
    "permissions_missing",
    "wrong_account",
    "stack_deleted",
    "unreachable",
    "upgrade_required",
    "account_taken",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """Why an account could not be (or is no longer) connected, and what to do about it."""

    code: ProblemCode
    what: str
    fix: str

    def as_json(self) -> dict[str, str]:
        """The problem as the callback answers it (`problem`, `what`, `fix`)."""
        return {"problem": self.code, "what": self.what, "fix": self.fix}

    def text(self) -> str:
        """One paragraph: what happened, then how to fix it."""
        return f"{self.what} {self.fix}"


def expected_role_arn(account_id: str) -> str:
    """The ARN of the role the dd0c-cost stack creates in `account_id`."""
    return f"arn:aws:iam::{account_id}:role/{ROLE_NAME}"


def external_id_mismatch(account_id: str, role_arn: str, external_id: str) -> Problem:
    """AssumeRole was denied: ExternalId, trust policy or a missing role (AWS will not say)."""
    return Problem(
        "external_id_mismatch",
        f"dd0c could not assume the role {role_arn}: AWS answered AccessDenied and does not "
        "say why.",
        "One of three things is wrong: (1) the role's trust policy requires another ExternalId "
        f"- it must be exactly {external_id}, the ExternalId parameter of the {STACK_NAME} stack "
        "(a stack launched from another workspace's link or edited by hand has another one); "
        "(2) the trust policy does not allow dd0c's AWS account to assume the role; (3) the role "
        f"does not exist in account {account_id} yet - AWS gives the same answer. Launch the "
        f"{STACK_NAME} stack from the link dd0c gave you (it fills in the ExternalId), or update "
        f"the existing stack with ExternalId {external_id}, and wait for CREATE_COMPLETE or "
        "UPDATE_COMPLETE before trying again.",
    )


def trust_policy_wrong(account_id: str, role_arn: str, external_id: str) -> Problem:
    """The role trusts dd0c without requiring the ExternalId."""
    return Problem(
        "trust_policy_wrong",
        f"The role {role_arn} lets dd0c in without the ExternalId: its trust policy does not "
        "require one.",
        "dd0c refuses such a role: anyone who gave dd0c its ARN could read your account through "
        "dd0c (the 'confused deputy' problem). Add the condition "
        f'"StringEquals": {{"sts:ExternalId": "{external_id}"}} to the role\'s trust policy. The '
        f"{STACK_NAME} stack writes it for you: update the stack to the template from dd0c's "
        f"link, or delete the role and launch the stack in account {account_id} from that link.",
    )


def role_missing(account_id: str, role_arn: str, *, malformed: bool) -> Problem:
    """The ARN is not a role ARN, or AWS says the role does not exist."""
    shown = role_arn.strip() or "(empty)"
    why = "is not a valid IAM role ARN" if malformed else "does not exist"
    return Problem(
        "role_missing",
        f"The role {shown} {why}.",
        f"The {STACK_NAME} stack creates the role {expected_role_arn(account_id)}. Launch the "
        f"stack from dd0c's link while signed in to account {account_id}, wait until it shows "
        "CREATE_COMPLETE, then connect with exactly that ARN.",
    )


def permissions_missing(account_id: str, role_arn: str) -> Problem:
    """The role can be assumed but denies the read every dd0c role must allow."""
    return Problem(
        "permissions_missing",
        f"dd0c assumed the role {role_arn}, but AWS denied {PROBED_ACTION}, a read-only call the "
        "role must allow.",
        "The role's policies were changed by hand, or the role comes from an old version of the "
        f"{STACK_NAME} stack (a service control policy of your organization denying the call has "
        f"the same effect). Update the {STACK_NAME} stack in account {account_id} to the template "
        "from dd0c's link (CloudFormation > Stacks > dd0c-cost > Update > Replace current "
        "template), leave its policies as the template writes them, then try again.",
    )


def wrong_account(account_id: str, role_arn: str, found_account: str) -> Problem:
    """The role, or the identity it yields, is in another account than the one connected."""
    return Problem(
        "wrong_account",
        f"The role {role_arn} belongs to AWS account {found_account}, not to account {account_id}.",
        f"Each account is connected through a role in that same account: for {account_id} it is "
        f"{expected_role_arn(account_id)}. Check which account you were signed in to when you "
        "launched the stack, or correct the account id you entered.",
    )


def stack_deleted(
    account_id: str, role_arn: str | None, external_id: str, *, disconnected: bool
) -> Problem:
    """The stack was deleted (its callback said so), or a connected account's role is gone."""
    role = f" and its role {role_arn} can no longer be used" if role_arn else ""
    if disconnected:
        what = (
            f"The {STACK_NAME} stack in AWS account {account_id} was deleted{role}: dd0c stopped "
            f"watching the account and deletes its data within {DELETE_WITHIN_HOURS} hours."
        )
    else:
        what = (
            f"dd0c lost access to AWS account {account_id}: its role "
            f"{role_arn or expected_role_arn(account_id)} can no longer be "
            f"assumed, most likely because the {STACK_NAME} stack was deleted or changed."
        )
    return Problem(
        "stack_deleted",
        what,
        "If you meant to disconnect the account there is nothing to do. Otherwise launch the "
        f"{STACK_NAME} stack in account {account_id} again from dd0c's link (it carries this "
        f"workspace's ExternalId {external_id}) and the account reconnects.",
    )


def unreachable(account_id: str, role_arn: str, detail: str) -> Problem:
    """AWS did not answer, throttled, or refused dd0c's own credentials: nothing to fix there."""
    return Problem(
        "unreachable",
        f"dd0c could not finish checking the role {role_arn}: AWS did not answer in time, asked "
        f"dd0c to slow down, or refused dd0c's own credentials ({detail}).",
        "Nothing points to a problem in your account. Try again in a few minutes; if it keeps "
        f"failing, contact dd0c support and mention account {account_id}.",
    )


def upgrade_required(account_id: str | None, connected: list[str], free_limit: int) -> Problem:
    """A free workspace already has as many accounts as the free plan allows."""
    plural = "account" if free_limit == 1 else "accounts"
    already = ", ".join(connected) or "another account"
    target = f"account {account_id}" if account_id else "another account"
    return Problem(
        "upgrade_required",
        f"The free plan watches {free_limit} AWS {plural} and this workspace already watches "
        f"{already}, so {target} cannot be connected.",
        f"Upgrade to Pro to watch {target} too (then connect it again), or disconnect "
        f"{already} first.",
    )


def account_taken(account_id: str) -> Problem:
    """The account belongs to another workspace; it is never moved."""
    return Problem(
        "account_taken",
        f"AWS account {account_id} is already connected to another dd0c workspace.",
        "An account can be watched by one workspace only. Disconnect it in the other workspace "
        f"first (or delete its {STACK_NAME} stack there), then connect it here.",
    )


# What the stack's callback is told when the request itself is refused (HTTP 400/403).
BAD_BODY = "invalid callback body"
FORGED_TOKEN = (
    "tenantToken is not valid for any dd0c workspace: launch the stack from the link dd0c gave "
    "you in Slack (it fills in TenantToken)"
)
EXTERNAL_ID_NOT_TENANTS = (
    "externalId is not this workspace's ExternalId: launch the stack from the link dd0c gave "
    "you in Slack (TenantToken and ExternalId must come from the same link)"
)
WORKSPACE_INACTIVE = (
    "this dd0c workspace is no longer installed: reinstall dd0c in Slack, then launch the stack "
    "again from the new link"
)
