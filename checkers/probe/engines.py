"""Django database ENGINE names that mean PostgreSQL (shared by the probe and the pure checks,
so this module imports nothing)."""

POSTGRES_ENGINES = ("postgresql", "postgresql_psycopg2", "postgis")
