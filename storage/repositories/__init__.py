"""Repositories: plain async functions over one table (or one aggregate) each.

Conventions: the first argument is an ``asyncpg.Connection`` (the caller owns the
transaction); every read of tenant data takes ``org_id`` and filters on it; must-exist reads
raise :class:`storage.errors.NotFound`; SQL uses ``$n`` parameters only.
"""
