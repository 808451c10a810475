"""The stable principal of an assumed role is the role, whatever the session is called."""

from __future__ import annotations

import pytest

from engine.actor import actor_of
from engine.records import UserIdentity


@pytest.mark.parametrize(
    ("arn", "principal"),
    [
        (
            "arn:aws:sts::123456789012:assumed-role/creator-user/creator@user.com",
            "arn:aws:iam::123456789012:role/creator-user",
        ),
        (
            "arn:aws:sts::123456789012:assumed-role/creator-user/another-session",
            "arn:aws:iam::123456789012:role/creator-user",
        ),
        (
            "arn:aws-cn:sts::123456789012:assumed-role/ci/run-7",
            "arn:aws-cn:iam::123456789012:role/ci",
        ),
        # Not an assumed-role session ARN: kept as logged.
        (
            "arn:aws:sts::123456789012:federated-user/bob",
            "arn:aws:sts::123456789012:federated-user/bob",
        ),
        ("arn:aws:sts:::assumed-role/ci/x", "arn:aws:sts:::assumed-role/ci/x"),
    ],
)
def test_role_arn_is_derived_when_the_session_issuer_is_missing(arn: str, principal: str) -> None:
    identity = UserIdentity.model_validate(
        {"type": "AssumedRole", "arn": arn, "sessionContext": {"attributes": {}}}
    )
    actor = actor_of(identity)
    assert actor.principal_arn == principal
    assert actor.arn == arn


def test_the_session_issuer_wins_when_present() -> None:
    identity = UserIdentity.model_validate(
        {
            "type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForAutoScaling/AS",
            "sessionContext": {
                "sessionIssuer": {
                    "arn": "arn:aws:iam::111122223333:role/aws-service-role/"
                    "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
                }
            },
        }
    )
    assert actor_of(identity).principal_arn == (
        "arn:aws:iam::111122223333:role/aws-service-role/autoscaling.amazonaws.com/"
        "AWSServiceRoleForAutoScaling"
    )
