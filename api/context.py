"""What every resolver knows: the caller's community, role and loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry
from strawberry.permission import BasePermission

from api.loaders import Loaders
from domain.models import ApiKey, Community, Role

_RANK = {Role.VIEWER: 0, Role.INTEGRATION: 1, Role.ADMIN: 2}


@dataclass
class RequestContext:
    community: Community
    api_key: ApiKey
    loaders: Loaders = field(init=False)
    request: Any = None
    response: Any = None

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.community)

    def allows(self, role: Role) -> bool:
        return _RANK[Role(self.api_key.role)] >= _RANK[role]


def context_of(info: strawberry.Info) -> RequestContext:
    return info.context  # type: ignore[no-any-return]


class _RoleAtLeast(BasePermission):
    role = Role.VIEWER
    # strawberry reads this as a class attribute of the permission.
    error_extensions = {"code": "FORBIDDEN"}  # noqa: RUF012

    @property
    def message(self) -> str:  # type: ignore[override]
        return f"this needs a key with the {self.role.value} role or higher"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return context_of(info).allows(self.role)


class CanRead(_RoleAtLeast):
    role = Role.VIEWER


class CanIntegrate(_RoleAtLeast):
    role = Role.INTEGRATION


class IsAdmin(_RoleAtLeast):
    role = Role.ADMIN
