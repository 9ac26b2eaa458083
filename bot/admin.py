"""Administrative use cases behind the CLI: organizations and staff accounts.

Each function opens the services it needs, does one job in one transaction and records it
in the audit log.
"""

from __future__ import annotations

from storage.db import transaction
from storage.models import Organization, User
from storage.repositories import audit, organizations, users

from .passwords import generate_password, hash_password
from .services import open_services
from .settings import Settings


async def create_org(
    settings: Settings, name: str, plan: str = "free", timezone: str = "UTC", language: str = "en"
) -> Organization:
    if not name.strip():
        raise ValueError("organization name must not be empty")
    async with open_services(settings) as services, transaction(services.pool) as conn:
        created = await organizations.create(
            conn, name.strip(), plan=plan, timezone=timezone, default_language=language
        )
        await audit.record(
            conn,
            created.id,
            "organization.created",
            actor_kind="system",
            entity_type="organization",
            entity_id=created.id,
            after={"name": created.name, "slug": created.slug, "plan": created.plan},
        )
        return created


async def list_orgs(settings: Settings) -> list[Organization]:
    async with open_services(settings) as services, services.pool.acquire() as conn:
        return await organizations.list_all(conn)


async def add_user(
    settings: Settings,
    org_ref: str,
    email: str,
    role: str,
    display_name: str | None = None,
    password: str | None = None,
) -> tuple[User, str | None]:
    """Create a user; returns it and the generated password when none was given."""
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise ValueError(f"not an e-mail address: {email!r}")
    generated = None
    if password is None:
        generated = password = generate_password()
    minimum = settings.security.password_min_length
    if len(password) < minimum:
        raise ValueError(f"password too short: at least {minimum} characters")
    async with open_services(settings) as services, transaction(services.pool) as conn:
        organization = await organizations.resolve(conn, org_ref)
        created = await users.create(
            conn,
            organization.id,
            email,
            role,
            password_hash=hash_password(password),
            display_name=display_name,
        )
        await audit.record(
            conn,
            organization.id,
            "user.created",
            actor_kind="system",
            entity_type="user",
            entity_id=created.id,
            after={"email": created.email, "role": created.role},
        )
        return created, generated
