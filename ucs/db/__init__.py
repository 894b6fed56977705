"""The database: the `db`, `Base` and `migrate` extensions (base), the tables (models) and their time type
(types), the schema check at start-up (schema), pinging pooled connections that sat idle (pool_checks),
read-only views without a transaction (read_only), and the lookups every layer shares (queries). Schema
changes are alembic revisions in ucs/db/migrations/, installed as package data.

It imports the domain only (ucs.uploads, ucs.problems), never the API, the operations or Flask's request
machinery (.importlinter); the layers above import it.
"""
