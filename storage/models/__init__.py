"""Typed ORM models. Importing this package registers every table on ``Base.metadata``."""
from storage.models.base import Base
from storage.models.org import Department, Location, Organisation, Person, Role, RoleAssignment, Site, Standard
from storage.models.platform import AppSetting, AuditEntry, OutboxMessage, ProcessedEvent, SchedulerLease

__all__ = [
    "AppSetting", "AuditEntry", "Base", "Department", "Location", "Organisation", "OutboxMessage",
    "Person", "ProcessedEvent", "Role", "RoleAssignment", "SchedulerLease", "Site", "Standard",
]
