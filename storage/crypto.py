"""Encryption of Slack tokens at rest: Fernet under the keys in DD0C_TOKEN_KEY, with rotation.

DD0C_TOKEN_KEY holds one or more comma-separated keys. The first encrypts; every key decrypts,
so a new key can be put first while the old one still reads what it wrote (MultiFernet). Each
key is either a Fernet key (urlsafe base64 of 32 bytes) or a random passphrase of at least 32
characters, from which a Fernet key is derived with HKDF-SHA256. Neither keys nor plaintexts ever
appear in an error message.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from storage.errors import StoreConfigError, TokenDecryptError

SETTING = "DD0C_TOKEN_KEY"
MIN_PASSPHRASE = 32
# Changing this string changes every derived key: stored tokens would no longer decrypt.
_HKDF_INFO = b"dd0c-cost slack-token-key v1"


def _fernet_bytes(key: str) -> bytes | None:
    """The key itself when it is a Fernet key (urlsafe base64 of 32 bytes), else None."""
    if len(key) != 44:
        return None
    try:
        raw = base64.b64decode(key.encode("ascii"), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None
    return key.encode("ascii") if len(raw) == 32 else None


def _derived(passphrase: str) -> bytes:
    """A Fernet key derived from a long passphrase (HKDF-SHA256, fixed info string)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(passphrase.encode("utf-8")))


def _fernet(key: str, position: int) -> Fernet:
    """The Fernet for one key of the setting; StoreConfigError (without the key) if unusable."""
    as_fernet = _fernet_bytes(key)
    if as_fernet is not None:
        return Fernet(as_fernet)
    if len(key) >= MIN_PASSPHRASE:
        return Fernet(_derived(key))
    raise StoreConfigError(
        f"{SETTING}: key {position} is neither a Fernet key nor a passphrase of at least "
        f"{MIN_PASSPHRASE} characters (generate one with: python -c "
        '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")'
    )


class TokenCipher:
    """Encrypts and decrypts Slack tokens with the keys of DD0C_TOKEN_KEY (first one encrypts)."""

    def __init__(self, keys: Sequence[str]) -> None:
        cleaned = [key.strip() for key in keys if key.strip()]
        if not cleaned:
            raise StoreConfigError(
                f"{SETTING} is not set: give a Fernet key or a random passphrase of at least "
                f"{MIN_PASSPHRASE} characters (several, comma-separated, while rotating)"
            )
        self._fernets = [_fernet(key, n) for n, key in enumerate(cleaned, start=1)]
        self._first = self._fernets[0]
        self._all = MultiFernet(self._fernets)

    @classmethod
    def from_setting(cls, value: str | None) -> TokenCipher:
        """The cipher for the value of DD0C_TOKEN_KEY (comma-separated keys, first encrypts)."""
        return cls((value or "").split(","))

    @staticmethod
    def new_key() -> str:
        """A fresh random Fernet key, for DD0C_TOKEN_KEY."""
        return Fernet.generate_key().decode("ascii")

    @property
    def key_count(self) -> int:
        """How many keys can decrypt."""
        return len(self._fernets)

    def encrypt(self, plaintext: str) -> str:
        """The ciphertext of `plaintext` under the first key."""
        return self._first.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """The plaintext; TokenDecryptError when no key of DD0C_TOKEN_KEY fits."""
        try:
            return self._all.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise TokenDecryptError(_NO_KEY_FITS) from exc

    def needs_rotation(self, ciphertext: str) -> bool:
        """True when the ciphertext was made with a key other than the first."""
        data = ciphertext.encode("ascii", "replace")
        if _opens(self._first, data):
            return False
        if any(_opens(fernet, data) for fernet in self._fernets[1:]):
            return True
        raise TokenDecryptError(_NO_KEY_FITS)

    def rotate(self, ciphertext: str) -> str:
        """The same plaintext re-encrypted under the first key (its timestamp kept)."""
        try:
            return self._all.rotate(ciphertext.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError) as exc:
            raise TokenDecryptError(_NO_KEY_FITS) from exc


_NO_KEY_FITS = (
    f"a stored Slack token could not be decrypted with any key in {SETTING}: "
    "was a key removed or changed before the stored tokens were rotated? Put the old key back "
    f"(after the new one, comma-separated) and run the token rotation again"
)


def _opens(fernet: Fernet, data: bytes) -> bool:
    """Whether this key decrypts the ciphertext."""
    try:
        fernet.decrypt(data)
    except InvalidToken:
        return False
    return True
