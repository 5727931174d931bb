"""Deriving names people did not choose themselves."""

import re


def username_from_email(email: str, *, fallback: str, max_length: int = 150) -> str:
    """A valid Django username from an email's local part ("o'neil@x" → "oneil")."""
    cleaned = re.sub(r"[^\w.+-]", "", email.split("@", 1)[0])[:max_length]
    return cleaned or fallback
