"""Writing many rows at once where nothing needs their ids back.

`insert_rows` (model instances), `insert_values` (dicts of values) and `insert_plain_rows`
(tuples of plain values) stream the rows through
PostgreSQL's COPY (several times faster than a multi-row INSERT for tens of thousands of rows),
and use `bulk_create` on other databases. The rows'
own `save()` is not called and their ids are not set, as with `bulk_create` on most databases.
"""

from collections.abc import Iterable, Sequence

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.utils import timezone


def insert_rows(model: type[models.Model], rows: Iterable[models.Model], *, batch_size: int = 5000) -> int:
    """Insert `rows` (unsaved instances of `model`, any iterable: they are streamed); returns
    how many were written."""
    if connection.vendor != "postgresql":
        return _bulk_create(model, rows, batch_size)
    fields = _written_fields(model)
    automatic = [
        field
        for field in fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    attnames = [field.attname for field in fields]

    def values():
        for row in rows:
            for field in automatic:
                field.pre_save(row, add=True)
            yield [getattr(row, name) for name in attnames]

    return _copy(model, fields, values())


def insert_values(model: type[models.Model], rows: Iterable[dict], *, batch_size: int = 5000) -> int:
    """Insert `rows` given as dicts of field attnames (`run_id`, not `run`) to values, any
    iterable: they are streamed; a field a row leaves out takes its default. Where
    `insert_rows` needs a model instance per row, this builds none on PostgreSQL (at tens of
    thousands of rows, making the instances costs more than writing them); returns how many
    were written."""
    if connection.vendor != "postgresql":
        return _bulk_create(model, (model(**row) for row in rows), batch_size)
    fields = _written_fields(model)
    defaults = {field.attname: _default_maker(field, timezone.now()) for field in fields}

    def values():
        for row in rows:
            if unknown := row.keys() - defaults.keys():
                raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}.")
            yield [row[name] if name in row else default() for name, default in defaults.items()]

    return _copy(model, fields, values())


def insert_plain_rows(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple], *, batch_size: int = 5000
) -> int:
    """Insert `rows`, tuples of values for the fields named (by attname) in `columns`; every
    other field takes its default, which must not be a callable. The fastest of the three, for
    rows of hundreds of thousands: on PostgreSQL each row becomes one line of COPY's text
    format by `str()` of each value, with no conversion per value. So a value must be an int,
    a Decimal, a date or a bool, or a str without tabs, newlines or backslashes (a choice's
    value); never None. Returns how many were written."""
    by_attname = {field.attname: field for field in _written_fields(model)}
    if unknown := set(columns) - by_attname.keys():
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}.")
    left_out = [field for name, field in by_attname.items() if name not in columns]
    for field in left_out:
        made_per_row = field.has_default() and callable(field.default)
        if made_per_row or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            raise TypeError(f"Give {model.__name__}.{field.attname}: its default is made for each row.")
    if connection.vendor != "postgresql":
        instances = (model(**dict(zip(columns, row, strict=True))) for row in rows)
        return _bulk_create(model, instances, batch_size)
    database = connections[DEFAULT_DB_ALIAS]
    defaults = [_copy_text(field.get_db_prep_save(field.get_default(), database)) for field in left_out]
    tail = "".join(f"\t{text}" for text in defaults) + "\n"
    quote = connection.ops.quote_name
    names = ", ".join(quote(by_attname[name].column) for name in [*columns, *(f.attname for f in left_out)])
    count = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN") as copy,
    ):
        batch = []
        for row in rows:
            batch.append("\t".join(map(str, row)) + tail)
            if len(batch) == batch_size:
                copy.write("".join(batch))
                count += len(batch)
                batch = []
        copy.write("".join(batch))
        count += len(batch)
    return count


def _copy_text(value) -> str:
    """One value in COPY's text format (for the few values worked out once, not per row)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    for special, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
        text = text.replace(special, escaped)
    return text


def _default_maker(field, now):
    """What gives a row left without `field` its value: the moment of the insert for an
    automatic date, a fresh value for a callable default (a new `dict` each row), else the
    one default."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda: now
    if field.has_default() and callable(field.default):
        return field.get_default
    value = field.get_default()
    return lambda: value


def _bulk_create(model, rows, batch_size) -> int:
    batch, count = [], 0
    for row in rows:
        batch.append(row)
        if len(batch) == batch_size:
            count += len(model.objects.bulk_create(batch))
            batch = []
    return count + len(model.objects.bulk_create(batch))


def _written_fields(model) -> list:
    return [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and isinstance(field, models.AutoField))
    ]


def _copy(model, fields, values: Iterable[list]) -> int:
    """Stream `values` (one list per row, in the order of `fields`) through COPY."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    database = connections[DEFAULT_DB_ALIAS]  # the connection itself, not the proxy, in the loop
    convert = [_converter(field, database) for field in fields]
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        count = 0
        for row in values:
            count += 1
            copy.write_row([to_db(value) for to_db, value in zip(convert, row, strict=True)])
    return count


# Fields whose Python values psycopg writes as they are (Django's own conversion, done per value,
# costs more than the COPY itself for tens of thousands of rows).
PLAIN_FIELDS = (
    models.BooleanField,
    models.CharField,
    models.DateField,  # and DateTimeField
    models.DecimalField,
    models.ForeignKey,
    models.IntegerField,
    models.TextField,
)


def _converter(field, database):
    if type(field).__name__ == "MoneyField":
        return lambda value: value.amount if value is not None else None
    if isinstance(field, PLAIN_FIELDS) and not isinstance(field, models.JSONField):
        return lambda value: value
    return lambda value: field.get_db_prep_save(value, database)


def update_rows(
    model: type[models.Model], rows: list[models.Model], fields: list[str], *, batch_size: int = 5000
):
    """Write `fields` of saved `rows` back, each row its own values: on PostgreSQL one
    `UPDATE … FROM unnest(…)` per batch, each column sent as one array (linear, where
    `bulk_update`'s CASE grows with the batch squared, and without a placeholder per value),
    elsewhere `bulk_update`. The rows' `save()` is not called; a money field's amount is written,
    not its currency."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(rows, fields, batch_size=batch_size)
        return
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    quote = connection.ops.quote_name
    database = connections[DEFAULT_DB_ALIAS]
    convert = [_converter(field, database) for field in columns]
    assignments = ", ".join(f"{quote(field.column)} = v.{quote(field.column)}" for field in columns[1:])
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in columns)
    names = ", ".join(quote(field.column) for field in columns)
    pk_column = quote(meta.pk.column)
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments} FROM unnest({arrays}) AS v({names}) "
        f"WHERE t.{pk_column} = v.{pk_column}"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            params = [
                [to_db(getattr(row, field.attname)) for row in batch]
                for to_db, field in zip(convert, columns, strict=True)
            ]
            cursor.execute(sql, params)


def plain_rows(queryset: models.QuerySet) -> Iterable[tuple]:
    """The rows of a `values_list` queryset as the database driver gives them, without Django's
    conversion of each value: for reading hundreds of thousands of rows of numbers, dates and
    words (a money field gives its amount, a choice its plain str). The result is held by the
    driver, not as Python objects, until each row is read. Other databases than PostgreSQL
    store decimals and dates as text, so there Django converts them as usual."""
    if connection.vendor != "postgresql":
        yield from queryset
        return
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        yield from cursor


@models.ForeignKey.register_lookup
@models.IntegerField.register_lookup
class AnyOf(models.lookups.In):
    """`holder_id__any_of=ids`: `IN (…)`, but on PostgreSQL `= ANY(%s)` with the whole list as one
    array parameter, so a query over tens of thousands of ids is not tens of thousands of
    placeholders for Django to build and the server to parse."""

    lookup_name = "any_of"

    def as_postgresql(self, compiler, connection):
        values = list(self.rhs)
        if not values:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        if isinstance(field, models.ForeignKey):
            field = field.target_field
        return f"{lhs} = ANY(%s::{field.db_type(connection)}[])", (*lhs_params, values)
