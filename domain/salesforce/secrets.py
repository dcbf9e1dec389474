"""Salesforce credentials, encrypted at rest with a key from the environment.

``ENGAGEMENT_SECRET_KEY`` holds one Fernet key, or several separated by commas
to rotate: the first encrypts, any of them decrypts.
"""

from __future__ import annotations

import json
import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from domain.salesforce.errors import ConfigurationError, MissingSecretKey

KEY_VARIABLE = "ENGAGEMENT_SECRET_KEY"
_HOW = (
    "set it on the API and on every worker to the output of: python -c 'from"
    " cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


def _cipher() -> MultiFernet:
    raw = os.environ.get(KEY_VARIABLE, "").strip()
    if not raw:
        raise MissingSecretKey("secrets", f"{KEY_VARIABLE} is not set; {_HOW}")
    try:
        return MultiFernet([Fernet(key.strip()) for key in raw.split(",")])
    except ValueError:
        message = (
            f"{KEY_VARIABLE} is not a Fernet key (32 url-safe base64 bytes); {_HOW}"
        )
        raise MissingSecretKey("secrets", message) from None


def encrypt_secrets(values: dict[str, str]) -> str:
    """A Fernet token of the credentials; a clear error when the key is missing."""
    return _cipher().encrypt(json.dumps(values).encode()).decode()


def decrypt_secrets(token: str) -> dict[str, str]:
    """The stored credentials, or a configuration error naming the cause."""
    try:
        cipher = _cipher()
    except MissingSecretKey as error:
        raise ConfigurationError(error.message, "SECRET_KEY") from None
    try:
        values = json.loads(cipher.decrypt(token.encode()))
    except InvalidToken:
        message = (
            f"the stored Salesforce credentials cannot be decrypted with {KEY_VARIABLE}"
            " (was the key changed?); configure the connection again"
        )
        raise ConfigurationError(message, "SECRET_KEY") from None
    return {str(name): str(value) for name, value in values.items()}
