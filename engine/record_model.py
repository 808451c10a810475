"""The pydantic half of the CloudTrail boundary: the caller's identity and the record's fallback
validation (`engine.records.parse_record` uses it for a record whose fields are not all of the
usual types: pydantic names the first one that is wrong). Kept apart from `engine.records` so that
module can be compiled by mypyc (setup.py); pydantic models are not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SkipValidation

JsonDict = dict[str, Any]
# A JSON object as decoded: its keys are strings already, so it is only type-checked (by
# `parse_record`), never copied key by key.
_Object = Annotated[JsonDict | None, SkipValidation]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class SessionIssuer(_Lenient):
    """The role or user that issued an assumed-role or federated session."""

    type: str | None = None
    arn: str | None = None
    user_name: str | None = Field(default=None, alias="userName")


class SessionContext(_Lenient):
    """`userIdentity.sessionContext`."""

    session_issuer: SessionIssuer | None = Field(default=None, alias="sessionIssuer")


class UserIdentity(_Lenient):
    """`userIdentity`: who made the call."""

    type: str | None = None
    arn: str | None = None
    principal_id: str | None = Field(default=None, alias="principalId")
    account_id: str | None = Field(default=None, alias="accountId")
    user_name: str | None = Field(default=None, alias="userName")
    invoked_by: str | None = Field(default=None, alias="invokedBy")
    session_context: SessionContext | None = Field(default=None, alias="sessionContext")


class RecordModel(_Lenient):
    """The validation of a record whose fields are not all of the usual types (`parse_record`):
    pydantic names the first field that is wrong. `CloudTrailRecord` has the same fields."""

    event_id: str | None = Field(default=None, alias="eventID")
    event_name: str = Field(alias="eventName")
    event_source: str = Field(alias="eventSource")
    event_time: datetime = Field(alias="eventTime")
    """UTC, between EARLIEST_EVENT_TIME and LATEST_EVENT_TIME (checked by `parse_record`)."""
    event_type: str | None = Field(default=None, alias="eventType")
    aws_region: str = Field(alias="awsRegion")
    recipient_account_id: str | None = Field(default=None, alias="recipientAccountId")
    user_identity: UserIdentity = Field(default_factory=UserIdentity, alias="userIdentity")
    request: _Object = Field(
        default=None, validation_alias=AliasChoices("requestParameters", "RequestParameters")
    )
    response: _Object = Field(
        default=None, validation_alias=AliasChoices("responseElements", "ResponseElements")
    )
    service_event_details: _Object = Field(default=None, alias="serviceEventDetails")
    source_ip_address: Any = Field(default=None, alias="sourceIPAddress")
    user_agent: Any = Field(default=None, alias="userAgent")
    error_code: str | None = Field(default=None, alias="errorCode")
    error_message: str | None = Field(default=None, alias="errorMessage")
    api_version: str | None = Field(default=None, alias="apiVersion")
