"""TokenCipher: Fernet keys or passphrases, several keys for rotation, errors without secrets."""

from __future__ import annotations

import pytest

from storage import StoreConfigError, TokenCipher, TokenDecryptError
from tests.storage.conftest import KEY_A, KEY_B

TOKEN = "xoxb-2210535565-3302215829121-Zq8vUbW1pDq4b0u4cWnR9yTx"

# Made once with KEY_B: pins the passphrase derivation (HKDF info string), which must never
# change or every stored token would stop decrypting.
KNOWN_ANSWER = (
    "gAAAAABrCAlsde01gEnBaFtXpx4VpmdqZsOTEORiHWxOOS99juKnoNKQDdMc0ydlXN9e-yK5KCE5kE9YWtKtL7WM"
    "0XTy68s-oxvM6qj2f2heb1kp5YgJAks="
)


@pytest.mark.parametrize(
    "key",
    [KEY_A, KEY_B, "!" * 44, TokenCipher.new_key()],
    ids=["key-a", "key-b", "passphrase", "new-key"],  # the new key is random: not in the id
)
def test_round_trip_and_no_plaintext_in_the_ciphertext(key: str) -> None:
    cipher = TokenCipher([key])
    sealed = cipher.encrypt(TOKEN)
    assert TOKEN not in sealed and "Zq8vUbW1" not in sealed
    assert cipher.decrypt(sealed) == TOKEN
    assert cipher.encrypt(TOKEN) != sealed  # fresh IV every time


def test_the_passphrase_derivation_is_stable() -> None:
    assert TokenCipher([KEY_B]).decrypt(KNOWN_ANSWER) == "xoxb-known-answer"
    assert TokenCipher.from_setting(f" {KEY_B} ").decrypt(KNOWN_ANSWER) == "xoxb-known-answer"


@pytest.mark.parametrize("setting", ["", " , ", None])
def test_an_empty_setting_is_refused(setting: str | None) -> None:
    with pytest.raises(StoreConfigError, match="DD0C_TOKEN_KEY is not set"):
        TokenCipher.from_setting(setting)


def test_a_short_key_is_refused_without_showing_it() -> None:
    with pytest.raises(StoreConfigError, match="DD0C_TOKEN_KEY: key 2") as caught:
        TokenCipher.from_setting(f"{KEY_A},short-secret-value")
    assert "short-secret-value" not in str(caught.value)
    assert KEY_A not in str(caught.value)


def test_a_wrong_key_raises_without_the_token() -> None:
    sealed = TokenCipher([KEY_A]).encrypt(TOKEN)
    with pytest.raises(TokenDecryptError) as caught:
        TokenCipher([KEY_B]).decrypt(sealed)
    message = str(caught.value)
    assert "DD0C_TOKEN_KEY" in message
    assert TOKEN not in message and sealed not in message and KEY_B not in message


@pytest.mark.parametrize("garbage", ["", "not a token", "gAAAAAB-broken", "ünïcode"])
def test_garbage_ciphertext_is_a_decrypt_error(garbage: str) -> None:
    cipher = TokenCipher([KEY_A])
    with pytest.raises(TokenDecryptError):
        cipher.decrypt(garbage)
    with pytest.raises(TokenDecryptError):
        cipher.needs_rotation(garbage)
    with pytest.raises(TokenDecryptError):
        cipher.rotate(garbage)


def test_rotation_with_two_keys() -> None:
    old = TokenCipher([KEY_A])
    sealed = old.encrypt(TOKEN)
    both = TokenCipher.from_setting(f"{KEY_B},{KEY_A}")
    assert both.key_count == 2
    assert both.decrypt(sealed) == TOKEN  # old data readable
    assert both.needs_rotation(sealed)
    assert not both.needs_rotation(both.encrypt(TOKEN))  # new data is under the first key
    rotated = both.rotate(sealed)
    assert not both.needs_rotation(rotated)
    assert TokenCipher([KEY_B]).decrypt(rotated) == TOKEN  # readable with the new key alone
    with pytest.raises(TokenDecryptError):
        old.decrypt(rotated)


def test_a_comma_separates_keys() -> None:
    # A passphrase cannot contain a comma: the part after it would be a second, too-short key.
    with pytest.raises(StoreConfigError, match="key 2"):
        TokenCipher.from_setting("a long random passphrase with a comma, in it")


def test_a_single_key_never_needs_rotation() -> None:
    cipher = TokenCipher([KEY_A])
    assert not cipher.needs_rotation(cipher.encrypt(TOKEN))
