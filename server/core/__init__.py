"""Core: settings, database, migrations, tables, blob store, errors, logs, periods. Imports no other tgpl layer."""
