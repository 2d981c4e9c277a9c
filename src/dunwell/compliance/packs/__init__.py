"""Jurisdiction packs: CN-NIFA, US-RegF and UK-FCA.

Each pack is its parameters (a frozen dataclass with the defaults) and its rules in
decision order; the checks many packs share live in ``universal``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from dunwell.compliance.model import Jurisdiction
from dunwell.compliance.packs.base import Pack, PackParams, Rule, Stage
from dunwell.compliance.packs.cn_nifa import PACK as CN_PACK
from dunwell.compliance.packs.cn_nifa import CNParams
from dunwell.compliance.packs.uk_fca import PACK as UK_PACK
from dunwell.compliance.packs.uk_fca import UKParams
from dunwell.compliance.packs.us_regf import PACK as US_PACK
from dunwell.compliance.packs.us_regf import USParams

PACKS: Mapping[Jurisdiction, Pack[Any]] = MappingProxyType(
    {pack.jurisdiction: pack for pack in (CN_PACK, US_PACK, UK_PACK)}
)


def pack_for(jurisdiction: Jurisdiction) -> Pack[Any]:
    return PACKS[jurisdiction]


__all__ = [
    "PACKS",
    "CNParams",
    "Pack",
    "PackParams",
    "Rule",
    "Stage",
    "UKParams",
    "USParams",
    "pack_for",
]
