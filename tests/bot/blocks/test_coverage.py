"""Blind-spot messages: the regions (busiest first), the fix, the closing, the status lines; valid
Slack payloads whatever the input (hostile ids, hundreds of regions)."""

from __future__ import annotations

from datetime import timedelta

from bot.blocks.coverage import (
    SYNC_FUNCTION,
    Fix,
    closed_message,
    coverage_text,
    gap_message,
    outdated_message,
)
from bot.blocks.home import home_view
from bot.blocks.status import status_message
from storage.coverage import AccountCoverage, RegionGap
from tests.bot.blocks.helpers import (
    NASTY,
    NOW,
    account,
    all_text,
    burn,
    check_home,
    check_message,
)

STACK = "arn:aws:cloudformation:eu-west-1:123456789012:stack/dd0c-cost/1"
URL = "https://dd0c-cf-templates.s3.amazonaws.com/dd0c-cost-readonly/abc/dd0c-cost-readonly.yaml"


def _gap(region: str, running: int = 0) -> RegionGap:
    return RegionGap(
        region=region,
        missing_rules=["dd0c-cost-forward-ec2", "dd0c-cost-forward-rds"],
        running_instances=running,
        opened_at=NOW - timedelta(days=2),
    )


def test_the_gap_message_puts_running_instances_first_and_gives_both_commands() -> None:
    message = gap_message(
        "123456789012",
        [_gap("me-south-1"), _gap("ap-southeast-2", running=3)],
        Fix(STACK, "eu-west-1", URL),
        NOW,
    )
    text = all_text(check_message(message))
    assert text.index("ap-southeast-2") < text.index("me-south-1")
    assert "*3 running instances* nobody watches" in text
    assert "no running instance yet" in text
    assert f"aws lambda invoke --function-name {SYNC_FUNCTION} --region eu-west-1" in text
    assert f"update-stack --region eu-west-1 --stack-name {STACK} --template-url {URL}" in text
    assert "ParameterKey=TenantToken,UsePreviousValue=true" in text
    assert message.text.startswith("Blind spot in AWS account 123456789012: 2 regions")


def test_without_a_known_stack_the_fix_points_at_the_setup_link() -> None:
    message = gap_message("123456789012", [_gap("eu-south-2", 1)], Fix(None, None, None), NOW)
    text = all_text(check_message(message))
    assert "update-stack" not in text and "`/dd0c connect`" in text
    assert "&lt;the stack's region&gt;" in text


def test_hostile_and_huge_inputs_stay_valid() -> None:
    gaps = [_gap(f"{NASTY}-{n}", n) for n in range(400)]
    message = gap_message(NASTY * 20, gaps, Fix(NASTY * 50, NASTY, NASTY * 50), NOW)
    check_message(message)
    closed = closed_message(NASTY * 20, [NASTY] * 300, NOW)
    check_message(closed)
    coverage = AccountCoverage(id="T:1", tenant_id="T", account_id=NASTY, checked_at=NOW, gaps=gaps)
    status = status_message(
        [account()], {"123456789012": burn()}, 0, "on", NOW, coverage=[coverage]
    )
    check_message(status)
    home = home_view([account()], {}, [], paused=False, now=NOW, coverage=[coverage])
    assert "Blind spots" in str(check_home(home))


def test_closed_is_one_line_and_status_lists_open_gaps_only() -> None:
    closed = closed_message("123456789012", ["eu-south-2"], NOW)
    assert "Blind spot closed in AWS account *123456789012*: `eu-south-2` forwards" in closed.text
    assert coverage_text([]) is None
    clear = AccountCoverage(id="T:1", tenant_id="T", account_id="1", checked_at=NOW)
    assert coverage_text([clear]) is None
    one = clear.model_copy(update={"gaps": [_gap("eu-south-2", 2)]})
    text = coverage_text([one])
    assert text is not None and "Blind spots" in text and "`eu-south-2`" in text
    status = status_message([account()], {"123456789012": burn()}, 0, "on", NOW, coverage=[one])
    assert "eu-south-2" in all_text(check_message(status))


def test_the_outdated_role_message_asks_for_the_update() -> None:
    message = outdated_message("123456789012", Fix(STACK, "eu-west-1", URL), NOW)
    text = all_text(check_message(message))
    assert "`events:ListRules` is not granted" in text
    assert f"update-stack --region eu-west-1 --stack-name {STACK}" in text
    unknown = all_text(check_message(outdated_message(NASTY, Fix(None, None, None), NOW)))
    assert "`/dd0c connect`" in unknown
    outdated = AccountCoverage(
        id="T:1", tenant_id="T", account_id="1", checked_at=NOW, role_outdated_since=NOW
    )
    line = coverage_text([outdated])
    assert line is not None and "coverage unknown" in line
