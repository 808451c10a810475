"""Identifiers in the shapes AWS uses, drawn from a seeded RNG (never the global one)."""

from __future__ import annotations

import string
from datetime import datetime
from random import Random

_HEX = "0123456789abcdef"
_ALNUM = string.ascii_letters + string.digits
_KEY_CHARS = string.ascii_uppercase + "234567"
_ID_CHARS = string.ascii_uppercase + string.digits


def uuid4(rng: Random) -> str:
    """A version-4 UUID from the seeded RNG (same bits as uuid.UUID(int=..., version=4))."""
    n = rng.getrandbits(128)
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)
    n = (n & ~(0xF000 << 64)) | (0x4000 << 64)
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def hex_id(rng: Random, prefix: str, length: int = 17) -> str:
    """An EC2-style id: `i-0…`, `vol-0…`, `r-0…` (17 hex digits after the dash)."""
    return prefix + "0" + "".join(rng.choices(_HEX, k=length - 1))


def hex_string(rng: Random, length: int) -> str:
    """Lower-case hex digits (suffixes of SSO role names and the like)."""
    return "".join(rng.choices(_HEX, k=length))


def access_key(rng: Random, *, temporary: bool) -> str:
    """An access key id: AKIA for a long-term key, ASIA for session credentials."""
    return ("ASIA" if temporary else "AKIA") + "".join(rng.choices(_KEY_CHARS, k=16))


def unique_id(rng: Random, prefix: str) -> str:
    """An IAM unique id: AIDA (user) or AROA (role) and 17 characters."""
    return prefix + "".join(rng.choices(_ID_CHARS, k=17))


def account_id(rng: Random) -> str:
    """A 12-digit AWS account id."""
    return str(rng.randint(10**11, 10**12 - 1))


def unique_string(rng: Random) -> str:
    """The 16-character component of a CloudTrail log file name."""
    return "".join(rng.choices(_ALNUM, k=16))


def lower_alnum(rng: Random, length: int) -> str:
    """Lower-case letters and digits (spot request ids, client tokens, suffixes)."""
    return "".join(rng.choices(string.ascii_lowercase + string.digits, k=length))


def timestamp(when: datetime) -> str:
    """CloudTrail's eventTime format: `YYYY-MM-DDTHH:MM:SSZ`."""
    return when.isoformat(timespec="seconds")[:19] + "Z"


def epoch_ms(when: datetime) -> int:
    """Milliseconds since the epoch, as EC2 responses give launch times."""
    return int(when.timestamp()) * 1000


def human_time(when: datetime) -> str:
    """The `Nov 3, 2026, 2:04:05 PM` format some services use inside responseElements."""
    hour = when.hour % 12 or 12
    suffix = "AM" if when.hour < 12 else "PM"
    return f"{when:%b} {when.day}, {when.year}, {hour}:{when:%M:%S} {suffix}"
