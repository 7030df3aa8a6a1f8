"""Writing validated import rows and their history rows as plain tuples, the fastest way each backend allows.

Django's bulk_create spends most of its time turning every value of every row into SQL
parameters; simple_history's bulk_create_with_history doubles that for the history rows.
Here a row is one attrgetter call on the instance, and only the columns whose Python value
the driver cannot take as it is (multi-choice lists, datetimes) go through the field's
get_db_prep_save(), once per distinct value. New rows get their ids up front, so that the
history rows, which need them, are written the same way:

- PostgreSQL: ids from the table's sequence (`nextval` over generate_series), rows by binary COPY;
- other backends (SQLite): ids after the highest ever given (the write lock is held from the
  start of the import's transaction), rows by executemany.

Changed rows are written with one executemany UPDATE (psycopg pipelines it). History rows
are those simple_history's bulk helpers write: every tracked field, the history date (the
import's start), user, change reason and type ('+' created, '~' changed).
"""
import json
from decimal import Decimal
from operator import attrgetter, itemgetter

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models
from django.db.models.expressions import RawSQL

# Field classes whose Python values (str, int, bool, date, id) every driver takes as they are.
DRIVER_NATIVE_FIELDS = (models.CharField, models.TextField, models.SlugField, models.IntegerField,
                        models.SmallIntegerField, models.PositiveIntegerField, models.PositiveSmallIntegerField,
                        models.BigIntegerField, models.AutoField, models.BigAutoField, models.BooleanField,
                        models.DateField, models.ForeignKey)
HISTORY_COLUMNS = ("history_date", "history_change_reason", "history_type", "history_user_id")
MEMO_LIMIT = 10_000
_NOTHING = object()


def memo_key(value):
    """A dict key telling apart values that compare equal but are stored or checked differently."""
    if isinstance(value, list):
        return list, tuple(value)
    if isinstance(value, Decimal):
        return Decimal, str(value)  # 1.0 == 1.00, but not the same number of decimal places
    return type(value), value


class _Column:
    """How one model field's value becomes a driver parameter."""

    def __init__(self, field):
        self.field = field
        self.native = type(field) in DRIVER_NATIVE_FIELDS
        self.memo = {}
        self.last = (_NOTHING, None)

    def prep(self, value):
        """field.get_db_prep_save(value), computed once per distinct value."""
        last_value, last_prepared = self.last
        if value is last_value:  # e.g. the import's timestamp, on every row
            return last_prepared
        prepared = self._prep(value)
        if not isinstance(value, list):  # a list could change in place
            self.last = (value, prepared)
        return prepared

    def _prep(self, value):
        try:
            key = memo_key(value)
            return self.memo[key]
        except KeyError:
            prepared = self.field.get_db_prep_save(value, connection)
            if len(self.memo) < MEMO_LIMIT:
                self.memo[key] = prepared
            return prepared
        except TypeError:  # unhashable
            return self.field.get_db_prep_save(value, connection)


class _Table:
    """One table's columns, in the order its rows are written."""

    def __init__(self, model, fields):
        self.name = connection.ops.quote_name(model._meta.db_table)
        self.plain_column_names = [field.column for field in fields]
        self.column_names = [connection.ops.quote_name(column) for column in self.plain_column_names]
        self.pg_types = None  # column type oids, read once from the catalog
        self.columns = [_Column(field) for field in fields]
        self.prepped = [(index, column.prep) for index, column in enumerate(self.columns) if not column.native]

    def prep_row(self, values):
        """The row (a sequence of Python values) as a list of driver parameters."""
        values = list(values)
        for index, prep in self.prepped:
            values[index] = prep(values[index])
        return values


class ModelWriter:
    """Creates and updates one model's rows, with a history row each, inside the caller's transaction."""

    def __init__(self, model, *, now, user, change_reason):
        self.model = model
        self.now = now
        self.user = user
        self.change_reason = change_reason
        fields = model._meta.concrete_fields
        self.table = _Table(model, fields)
        self.values_of = attrgetter(*(field.attname for field in fields))
        self.position = {field.attname: index for index, field in enumerate(fields)}
        # What pre_save() would set: auto_now_add fields on create, auto_now ones on every write.
        self.stamped_on_update = [f.attname for f in fields if getattr(f, "auto_now", False)]
        self.stamped_on_create = [f.attname for f in fields if getattr(f, "auto_now_add", False)]
        self.stamped_on_create += self.stamped_on_update
        self.history_model = model.history.model if getattr(settings, "SIMPLE_HISTORY_ENABLED", True) else None
        if self.history_model is not None:
            self._plan_history()

    def _plan_history(self):
        """The history table's columns (but its own key), each taken from the row or a constant."""
        fields, self.history_sources = [], []
        for field in self.history_model._meta.concrete_fields:
            if field.attname == "history_id":
                continue  # the history table's own key, from its default
            if field.attname in HISTORY_COLUMNS:
                self.history_sources.append(field.attname)
            elif field.attname in self.position:
                self.history_sources.append(self.position[field.attname])
            else:
                raise ImproperlyConfigured(f"{self.history_model.__name__}.{field.attname}: the importer's history "
                                           "writer does not know where this column's value comes from.")
            fields.append(field)
        self.history_table = _Table(self.history_model, fields)

    def create(self, instances):
        """Insert new rows (setting the instances' ids) and their '+' history rows."""
        if not instances:
            return
        for instance, pk in zip(instances, reserve_ids(self.model, len(instances))):
            instance.pk = pk
            for attname in self.stamped_on_create:
                setattr(instance, attname, self.now)
            instance._state.adding = False
            instance._state.db = connection.alias
        rows = [self.table.prep_row(self.values_of(instance)) for instance in instances]
        insert_rows(self.table, rows)
        self._write_history(instances, rows, "+")

    def update(self, instances, fields):
        """Update the given fields (and updated_at) of existing rows, and add their '~' history rows."""
        if not instances:
            return
        for instance in instances:
            for attname in self.stamped_on_update:
                setattr(instance, attname, self.now)
        rows = [self.table.prep_row(self.values_of(instance)) for instance in instances]
        indexes = [self.position[self.model._meta.get_field(name).attname] for name in fields]
        indexes += [self.position[attname] for attname in self.stamped_on_update if self.position[attname] not in indexes]
        pk_index = self.position[self.model._meta.pk.attname]
        assignments = ", ".join(f"{self.table.column_names[index]} = %s" for index in indexes)
        sql = f"UPDATE {self.table.name} SET {assignments} WHERE {self.table.column_names[pk_index]} = %s"
        with connection.cursor() as cursor:
            cursor.executemany(sql, [[*(row[index] for index in indexes), row[pk_index]] for row in rows])
        self._write_history(instances, rows, "~")

    def _write_history(self, instances, rows, history_type):
        """One history row per written row; `rows` are the written rows' driver parameters."""
        if self.history_model is None:
            return
        user = self.user if self.user is not None else self.history_model.get_default_history_user(instances[0])
        constants = {"history_date": self.now, "history_change_reason": self.change_reason,
                     "history_type": history_type, "history_user_id": getattr(user, "pk", None)}
        # A history row picks its values from the written row followed by these constants.
        tail = [self.history_table.columns[self.history_sources.index(name)].prep(constants[name])
                for name in HISTORY_COLUMNS]
        width = len(self.table.columns)
        pick = itemgetter(*(width + HISTORY_COLUMNS.index(source) if isinstance(source, str) else source
                            for source in self.history_sources))
        insert_rows(self.history_table, (pick(row + tail) for row in rows))


# Backend-specific steps ------------------------------------------------------------------------

def reserve_ids(model, count):
    """`count` new primary key values for `model`'s table, never given before."""
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [connection.ops.quote_name(table), column, count])
            return [row[0] for row in cursor.fetchall()]
        # SQLite AUTOINCREMENT: after the highest id ever given (sqlite_sequence) or present. The
        # import's transaction holds the write lock (transaction_mode IMMEDIATE), so no other
        # connection can take these ids; if one did, the insert fails and the import is refused.
        cursor.execute(f"SELECT max({connection.ops.quote_name(column)}) FROM {connection.ops.quote_name(table)}")
        highest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(highest, row[0] if row else 0) + 1
        return range(start, start + count)


def text_values(values):
    """A subquery giving these strings, for `field__in=`: one parameter however many values.

    Django binds an `__in` list one parameter per value, which for a batch of thousands of
    references costs more than the query itself.
    """
    values = list(values)
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::varchar[])", (values,))
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(values),))


def insert_rows(table, rows):
    """Insert rows of driver parameters in the table's column order: COPY on PostgreSQL, executemany elsewhere."""
    columns = ", ".join(table.column_names)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Binary COPY: about four times less work than text, for this process and the server; it
            # needs each column's type, which the catalog gives.
            if table.pg_types is None:
                cursor.execute("SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass "
                               "AND attnum > 0 AND NOT attisdropped", [table.name])
                oids = dict(cursor.fetchall())
                table.pg_types = [oids[name] for name in table.plain_column_names]
            # psycopg's COPY bypasses Django's cursor wrapper: map its errors to django.db ones, which the
            # importer reports as a refused import.
            with connection.wrap_database_errors, \
                    cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(table.pg_types)
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(table.columns))
            cursor.executemany(f"INSERT INTO {table.name} ({columns}) VALUES ({placeholders})", rows)
