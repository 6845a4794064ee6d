"""What an operator may see and touch: their departments, inside their regions.

Anything outside the scope is reported exactly like something that does not exist
(NOT_FOUND), so guessing ids tells an operator nothing about other departments.
"""

from __future__ import annotations

from app.catalog.regions import RegionTree
from app.errors import Forbidden
from app.operators.auth import OperatorPrincipal


def require_role(actor: OperatorPrincipal, *roles: str) -> None:
    if actor.role not in roles and not actor.is_admin:
        raise Forbidden(f"This needs the role {' or '.join(roles)}.", role=actor.role)


def sees_department(actor: OperatorPrincipal, department: str) -> bool:
    return actor.is_admin or department in actor.departments


def sees_regions(actor: OperatorPrincipal, tree: RegionTree, regions: list[str]) -> bool:
    """Every region lies within one of the operator's regions (no regions: all of theirs)."""
    if actor.is_admin or not actor.regions:
        return True
    return all(any(tree.within(r, scope) for scope in actor.regions) for r in regions)


def department_scope(actor: OperatorPrincipal) -> tuple[str, ...] | None:
    return None if actor.is_admin else actor.departments
