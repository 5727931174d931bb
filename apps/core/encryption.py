"""Personal data encrypted at rest: model fields whose column holds a Fernet token, and keyed
blind indexes that keep the fields people look up by exact value searchable.

- `EncryptedCharField` / `EncryptedTextField`: what the code reads and writes is the plaintext;
  the column (always `text`: a token is longer than what it hides) holds a Fernet token made
  with the first key of settings.FIELD_ENCRYPTION_KEYS; any key of the list opens it, so keys
  rotate (prepend the new key, run `manage.py reencrypt_fields`, drop the old one). A blank
  value is stored blank, never as the token of "". `max_length` still bounds the plaintext, in
  forms, serializers and `full_clean()`.
- `BlindIndexField(source=..., normaliser=...)`: HMAC-SHA256 (key settings.FIELD_HASH_KEY,
  independent of the Fernet keys, so rotation never touches it) of the source field's
  normalised value, kept up to date on every save. Lookups on the encrypted field
  (`phone="..."`, `phone__icontains=...` as DRF's and the admin's search send,
  `city__iexact=...`, `__in`) become an exact match of the normalised value through the index:
  substring search on an encrypted field is not possible. An encrypted field without an index
  refuses every lookup but `isnull` and `= ""` with a FieldError naming it, rather than
  silently matching nothing.

The same scheme as django-fernet-fields / django-cryptography (MultiFernet over a key list)
and the "blind index" of CipherSweet (paragonie), reduced to what DotMac needs.

Bulk writes that skip `save()` (`QuerySet.update()`, `bulk_update()`) encrypt the value but do
not recompute its blind index: write through the model (or run `reencrypt_fields`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import operator
import re
from dataclasses import dataclass, field
from functools import lru_cache, reduce

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, FieldError, ImproperlyConfigured
from django.db import migrations, models, transaction
from django.db.models import Q, signals
from django.db.models.expressions import Col
from django.db.models.lookups import Lookup

__all__ = [
    "NORMALISERS",
    "BlindIndexField",
    "DecryptionError",
    "EncryptedCharField",
    "EncryptedTextField",
    "ReencryptionCount",
    "blind_index",
    "blind_indexes_of",
    "decrypt",
    "encrypt",
    "encrypt_existing_rows",
    "encrypted_fields",
    "indexed_search_fields",
    "is_token",
    "reencrypt_model",
    "whole_value_match",
]


class DecryptionError(Exception):
    """A stored token that none of FIELD_ENCRYPTION_KEYS opens (a key removed too early, or the
    keys of another installation)."""


# --- Keys ---------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...]) -> tuple[Fernet, ...]:
    if not keys:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS is empty: personal data cannot be encrypted or read."
        )
    try:
        return tuple(Fernet(key.encode() if isinstance(key, str) else key) for key in keys)
    except (ValueError, binascii.Error) as error:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key (32 url-safe base64 "
            'bytes; generate one with `python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"`).'
        ) from error


@lru_cache(maxsize=8)
def _multi(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet(_fernets(keys))


def _keys() -> tuple[Fernet, ...]:
    """One Fernet per key, the first one the key new tokens are made with."""
    return _fernets(tuple(settings.FIELD_ENCRYPTION_KEYS))


def _keyring() -> MultiFernet:
    """Encrypts with the first key, decrypts with any."""
    return _multi(tuple(settings.FIELD_ENCRYPTION_KEYS))


def _hash_key() -> bytes:
    key = settings.FIELD_HASH_KEY
    if not key:
        raise ImproperlyConfigured("FIELD_HASH_KEY is empty: blind indexes cannot be computed.")
    return key.encode()


# --- Values -------------------------------------------------------------------------------------

#: The first bytes of every Fernet token (version byte 0x80, then a timestamp), base64.
_TOKEN_PREFIX = "gAAAAA"


def is_token(value: str) -> bool:
    """Whether a stored value has the shape of a Fernet token (whichever key made it)."""
    if not value or not value.startswith(_TOKEN_PREFIX):
        return False
    try:
        raw = base64.urlsafe_b64decode(value.encode())
    except (ValueError, binascii.Error):
        return False
    # version, timestamp (8), IV (16), at least one AES block (16), HMAC (32)
    return raw[:1] == b"\x80" and len(raw) >= 73 and (len(raw) - 57) % 16 == 0


def encrypt(value: str) -> str:
    """The token of `value` under the first key; blank stays blank."""
    if value in (None, ""):
        return value
    return _keyring().encrypt(str(value).encode()).decode()


@lru_cache(maxsize=4096)
def _opened(keys: tuple[str, ...], token: str) -> str | None:
    # A list page reads the same rows again and again, and a token (random IV) is only ever
    # written once: its plaintext is kept, per key list, for the next read (a few hundred
    # microseconds of AES and HMAC per value saved; what is held is what the process shows).
    try:
        return _multi(keys).decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def decrypt(token: str, *, label: str = "a field") -> str:
    """The plaintext of a stored token under any of the keys; blank stays blank."""
    if token in (None, ""):
        return token
    plaintext = _opened(tuple(settings.FIELD_ENCRYPTION_KEYS), token)
    if plaintext is not None:
        return plaintext
    raise DecryptionError(
        f"Cannot decrypt {label}: none of the {len(settings.FIELD_ENCRYPTION_KEYS)} key(s) in "
        "FIELD_ENCRYPTION_KEYS opens it (was the key that wrote it removed before "
        "`manage.py reencrypt_fields` ran?)."
    )


def _digits(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    # 0044... is +44...: the international prefix written out
    return digits[2:] if value.lstrip().startswith("00") else digits


#: How a value is normalised before it is hashed: what counts as "the same" value.
NORMALISERS = {
    # +44 20 7946 0958, +44-20-7946-0958 and 00442079460958 are one number
    "phone": _digits,
    # case and runs of spaces do not matter: "Leeds", "LEEDS", " leeds "
    "text": lambda value: " ".join(value.split()).casefold(),
    # "ls1 4ab" and "LS14AB"
    "postcode": lambda value: "".join(value.split()).upper(),
}


def blind_index(value: str | None, normaliser: str) -> str:
    """The keyed hash of a value, normalised; "" for a blank value (or one that normalises to
    nothing, which then matches nothing)."""
    normalised = NORMALISERS[normaliser](value or "")
    if not normalised:
        return ""
    message = f"{normaliser}:{normalised}".encode()
    return hmac.new(_hash_key(), message, hashlib.sha256).hexdigest()


# --- Fields -------------------------------------------------------------------------------------

#: DRF's and the admin's search send `icontains`, filters `exact`/`iexact`: all of them mean
#: "this value" on an encrypted field.
_LOOKUPS_WITH_INDEX = ("exact", "iexact", "contains", "icontains", "startswith", "istartswith")


class EncryptedMixin:
    """The column holds a token; Python sees the plaintext."""

    encrypted = True

    def db_type(self, connection):
        return "text"

    def cast_db_type(self, connection):
        return "text"

    def from_db_value(self, value, expression, connection):
        return decrypt(value, label=self.label_text)

    def get_db_prep_value(self, value, connection, prepared=False):
        value = super().get_db_prep_value(value, connection, prepared)
        return encrypt(value)

    @property
    def label_text(self) -> str:
        model = getattr(self, "model", None)
        return f"{model._meta.label}.{self.name}" if model else self.name

    @property
    def blind_index_field(self) -> BlindIndexField | None:
        for candidate in self.model._meta.concrete_fields:
            if isinstance(candidate, BlindIndexField) and candidate.source == self.name:
                return candidate
        return None

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        return _INDEX_LOOKUPS.get(lookup_name)

    def get_transform(self, lookup_name):
        return None

    def unsearchable(self) -> FieldError:
        return FieldError(
            f"{self.label_text} is encrypted at rest and has no blind index: it cannot be "
            "searched, filtered or ordered in the database."
        )


class EncryptedCharField(EncryptedMixin, models.CharField):
    """A CharField whose value is encrypted at rest (a `text` column; `max_length` bounds the
    plaintext)."""


class EncryptedTextField(EncryptedMixin, models.TextField):
    """A TextField whose value is encrypted at rest."""


class BlindIndexField(models.CharField):
    """The keyed hash (HMAC-SHA256, hex) of another field's normalised value, for exact-match
    lookups on that field while it is encrypted. Filled on every save; never edited."""

    def __init__(self, *args, source: str, normaliser: str = "text", **kwargs):
        if normaliser not in NORMALISERS:
            raise ValueError(f"Unknown normaliser {normaliser!r}; one of {sorted(NORMALISERS)}.")
        self.source = source
        self.normaliser = normaliser
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("help_text", f"Keyed hash of {source} (search by exact value).")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["normaliser"] = self.normaliser
        return name, path, args, kwargs

    def digest(self, value: str | None) -> str:
        return blind_index(value, self.normaliser)

    def pre_save(self, model_instance, add):
        value = self.digest(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        if not cls._meta.abstract:
            uid = f"blind-index-{cls._meta.label}-{name}"
            signals.pre_save.connect(
                _refuse_a_stale_index, sender=cls, weak=False, dispatch_uid=uid
            )


def blind_indexes_of(model, names) -> list[str]:
    """The blind indexes kept from any of the fields `names`: what `save(update_fields=...)`
    must name too (`apps.core.kit.writes.record_update` does)."""
    names = set(names)
    return [
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, BlindIndexField) and f.source in names and f.name not in names
    ]


def _refuse_a_stale_index(sender, instance, update_fields=None, **kwargs):
    """`save(update_fields=["phone"])` would write the phone and leave its index behind: the
    record would no longer be found by it. A programming error, refused loudly."""
    if update_fields:
        missing = blind_indexes_of(sender, update_fields)
        if missing:
            raise ValueError(
                f"save(update_fields=...) on {sender._meta.label} names an encrypted field "
                f"but not its blind index: add {', '.join(missing)} (see blind_indexes_of)."
            )


class BlindIndexLookup(Lookup):
    """`<encrypted field>__<exact|iexact|icontains|...>=value` as `<its index> = hash(value)`."""

    prepare_rhs = False
    can_use_none_as_rhs = False

    def _index_col(self, compiler):
        field = self.lhs.output_field
        if not isinstance(self.lhs, Col):
            raise FieldError(f"{field.label_text} is encrypted: only its column can be matched.")
        index = field.blind_index_field
        if index is None:
            raise field.unsearchable()
        return index, compiler.compile(index.get_col(self.lhs.alias, index))

    def get_prep_lookup(self):
        if hasattr(self.rhs, "resolve_expression"):
            raise FieldError(
                f"{self.lhs.output_field.label_text} is encrypted: it can only be compared with "
                "a value, not with another column or a subquery."
            )
        return self.rhs

    def as_sql(self, compiler, connection):
        value = "" if self.rhs is None else str(self.rhs)
        if value == "" and self.lookup_name in ("exact", "iexact"):
            # blank is stored blank: a plain comparison, with or without an index
            sql, params = compiler.compile(self.lhs)
            return f"{sql} = ''", params
        index, (sql, params) = self._index_col(compiler)
        digest = index.digest(value)
        if not digest:  # nothing left to compare (letters searched in a phone number)
            return "FALSE", []
        return f"{sql} = %s", [*params, digest]


class BlindIndexIn(BlindIndexLookup):
    lookup_name = "in"

    def as_sql(self, compiler, connection):
        index, (sql, params) = self._index_col(compiler)
        digests = sorted({index.digest(value) for value in self.rhs} - {""})
        if not digests:
            return "FALSE", []
        return f"{sql} IN ({', '.join(['%s'] * len(digests))})", [*params, *digests]


#: The lookups an encrypted field answers (through its index), by name.
_INDEX_LOOKUPS = {
    name: type(f"Encrypted{name.title()}", (BlindIndexLookup,), {"lookup_name": name})
    for name in _LOOKUPS_WITH_INDEX
} | {"in": BlindIndexIn}


def encrypted_fields(model) -> list[EncryptedMixin]:
    return [f for f in model._meta.concrete_fields if getattr(f, "encrypted", False)]


def _final_field(model, path: str):
    field = None
    for part in path.split("__"):
        if model is None:
            return None
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        model = field.related_model
    return field


def indexed_search_fields(model, search_fields) -> list[str]:
    """The search fields (DRF's or the admin's spelling) that end on an encrypted field with a
    blind index, e.g. `phone`, `customer__phone`."""
    found = []
    for name in search_fields:
        path = name.lstrip("^=@$")
        field = _final_field(model, path)
        if getattr(field, "encrypted", False) and field.blind_index_field is not None:
            found.append(path)
    return found


def whole_value_match(model, search_fields, query: str) -> Q | None:
    """DRF's and the admin's search split the query into words and ask every word to match;
    a phone number typed with spaces (+44 20 7946 0958) then never matches its index. This is
    the query as one value over the indexed fields, to OR with their search (None: no such
    field, or a one-word query, which their search already looks up whole)."""
    query = (query or "").strip()
    fields = indexed_search_fields(model, search_fields)
    if not fields or len(query.split()) < 2:
        return None
    return reduce(operator.or_, (Q(**{f"{path}__exact": query}) for path in fields))


# --- Re-encryption ------------------------------------------------------------------------------


@dataclass
class ReencryptionCount:
    """What `reencrypt_model` did to one table."""

    label: str
    rows: int = 0  # rows read
    rewritten: int = 0  # rows whose tokens or hashes were written again
    values: dict[str, int] = field(default_factory=dict)  # per column: values re-encrypted


def _current(value: str, primary: Fernet) -> bool:
    try:
        primary.decrypt(value.encode())
    except InvalidToken:
        return False
    return True


def reencrypt_model(model, connection, *, batch_size: int = 500, decrypt_all: bool = False):
    """Every encrypted column of `model`'s table under the first key, and its blind indexes
    recomputed, in batches of locked rows (a concurrent save waits, then wins).

    Plaintext left by an earlier version (before the columns were encrypted) is encrypted; a
    token no key opens stops the run with DecryptionError rather than being mistaken for
    plaintext. Idempotent: a second run rewrites nothing. Works on historical models too (the
    data migrations run it). `decrypt_all` writes the plaintext back (the migrations' reverse).
    """
    fields = encrypted_fields(model)
    indexes = [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]
    count = ReencryptionCount(model._meta.label, values={f.column: 0 for f in fields})
    if not fields:
        return count
    primary = _keys()[0]
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    columns = [f.column for f in fields] + [f.column for f in indexes]
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    assignments = ", ".join(f"{connection.ops.quote_name(column)} = %s" for column in columns)
    last = None
    while True:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            after = "" if last is None else f"WHERE {pk} > %s"
            cursor.execute(
                f"SELECT {pk}, {quoted} FROM {table} {after} ORDER BY {pk} LIMIT %s FOR UPDATE",
                ([] if last is None else [last]) + [batch_size],
            )
            rows = cursor.fetchall()
            updates = []
            for row in rows:
                last, stored = row[0], dict(zip(columns, row[1:], strict=True))
                plain, new = {}, {}
                for f in fields:
                    value = stored[f.column]
                    if value in (None, ""):
                        plain[f.name], new[f.column] = value, value
                        continue
                    if is_token(value):
                        plain[f.name] = decrypt(value, label=f"{count.label}.{f.name} #{last}")
                        current = not decrypt_all and _current(value, primary)
                    else:  # plaintext from before the column was encrypted
                        plain[f.name], current = value, decrypt_all
                    new[f.column] = value if current else (
                        plain[f.name] if decrypt_all else encrypt(plain[f.name])
                    )  # fmt: skip
                    if new[f.column] != value:
                        count.values[f.column] += 1
                for index in indexes:
                    new[index.column] = "" if decrypt_all else index.digest(plain.get(index.source))
                if any(new[column] != stored[column] for column in columns):
                    updates.append([new[column] for column in columns] + [last])
            if updates:
                cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {pk} = %s", updates)
            count.rows += len(rows)
            count.rewritten += len(updates)
        if len(rows) < batch_size:
            return count


def encrypt_existing_rows(app_label: str, *model_names: str) -> migrations.RunPython:
    """The data migration that follows turning columns into encrypted ones: the plaintext rows
    already hold are encrypted and indexed (in every tenant schema: django-tenants runs a tenant
    app's migrations once per schema). Reversed, it writes the plaintext back."""

    def run(apps, schema_editor, *, decrypt_all: bool) -> None:
        for name in model_names:
            model = apps.get_model(app_label, name)
            reencrypt_model(model, schema_editor.connection, decrypt_all=decrypt_all)

    return migrations.RunPython(
        lambda apps, schema_editor: run(apps, schema_editor, decrypt_all=False),
        lambda apps, schema_editor: run(apps, schema_editor, decrypt_all=True),
    )
