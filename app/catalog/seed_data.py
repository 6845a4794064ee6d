"""The catalog's data files, read into typed rows: reference data every install needs
(``data/reference.yaml``: online levels, themes, regions, departments, synonyms), the demo's
service items (``data/items.yaml``) and the demo's operators (``data/demo_operators.yaml``).

A file that does not match its shape stops the seed with the place it went wrong, rather
than a positional tuple being read into the wrong column.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

DATA = Path(__file__).parent / "data"


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ThemeRow(_Row):
    code: str
    name: str


class RegionRow(_Row):
    code: str = Field(pattern=r"^\d{6}$")
    name: str
    parent: str | None

    @property
    def level(self) -> str:
        if self.parent is None:
            return "province"
        return "city" if self.code.endswith("00") else "county"


class DepartmentRow(_Row):
    code: str
    name: str
    region: str


class SynonymRow(_Row):
    term: str
    means: str


class LicenceTypeRow(_Row):
    """An e-licence (电子证照) type a guide's material may name: holding it replaces the
    paper (免提交). ``code`` is the kind an issued e-licence carries."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    name: str


class FeeCatalogueRow(_Row):
    """A charge of the province's fee catalogue (收费目录清单) and its standard in fen."""

    item_code: str = Field(pattern=r"^\d{6}$")
    name: str
    standard_fen: int | None = Field(default=None, ge=0)
    min_fen: int | None = Field(default=None, ge=0)
    max_fen: int | None = Field(default=None, ge=0)


class Reference(_Row):
    online_levels: dict[int, str]
    licence_types: tuple[LicenceTypeRow, ...]
    fee_catalogue: tuple[FeeCatalogueRow, ...]
    themes: tuple[ThemeRow, ...]
    regions: tuple[RegionRow, ...]
    departments: tuple[DepartmentRow, ...]
    synonyms: tuple[SynonymRow, ...]


class ItemRow(_Row):
    code: str
    name: str
    audience: Literal["personal", "legal"]
    theme: str
    department: str
    online_level: int = Field(ge=1, le=5)
    needs: list[str]
    keywords: list[str]
    guide: dict[str, Any]


class OperatorRow(_Row):
    username: str
    role: Literal["platform_admin", "department_operator", "reviewer"]
    departments: list[str]
    regions: list[str]


class _Items(_Row):
    items: tuple[ItemRow, ...]


class _Operators(_Row):
    operators: tuple[OperatorRow, ...]


def _read(name: str) -> Any:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


@cache
def reference() -> Reference:
    return Reference.model_validate(_read("reference.yaml"))


@cache
def demo_items() -> tuple[ItemRow, ...]:
    return _Items.model_validate(_read("items.yaml")).items


@cache
def demo_operators() -> tuple[OperatorRow, ...]:
    return _Operators.model_validate(_read("demo_operators.yaml")).operators
