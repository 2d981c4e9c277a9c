"""Field data for the sample book: each borrower gets an address with coordinates
around one city (a few have no coordinates yet, as happens in real books), and ten
agents with overlapping territories, 09:00-17:30 shifts and valid certificates in
every required subject, so a day's visits can be planned."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence

from dunwell.app.uow import UnitOfWork
from dunwell.field.model import (
    Address,
    Agent,
    GeoPoint,
    Shift,
    Territory,
)

CITY = "成都"
CITY_CENTRE = GeoPoint(30.6586, 104.0647)
CITY_RADIUS_KM = 12
SAMPLE_AGENTS = 10
#: Per mille of sample addresses stored without coordinates.
NO_COORDINATES_PER_MILLE = 20
DISTRICTS = ("锦江区", "青羊区", "金牛区", "武侯区", "成华区", "高新区")


def _offset(km_north: float, km_east: float) -> GeoPoint:
    lat = CITY_CENTRE.latitude + km_north / 111.32
    lon = CITY_CENTRE.longitude + km_east / (
        111.32 * math.cos(math.radians(CITY_CENTRE.latitude)))
    return GeoPoint(round(lat, 6), round(lon, 6))


def sample_agents(count: int = SAMPLE_AGENTS) -> list[Agent]:
    """One agent in the centre, the others on a ring; territories overlap and cover
    the whole city."""
    agents = [Agent("f-01", "张伟", "Asia/Shanghai",
                    Territory(f"{CITY} centre", CITY_CENTRE, 7_000),
                    Shift(dt.time(9), dt.time(17, 30)), 12, 6_000, 150)]
    for k in range(1, count):
        angle = 2 * math.pi * k / max(1, count - 1)
        ring = CITY_RADIUS_KM * 0.55
        centre = _offset(ring * math.cos(angle), ring * math.sin(angle))
        agents.append(Agent(f"f-{k + 1:02d}", f"外勤{k + 1:02d}", "Asia/Shanghai",
                            Territory(f"{CITY} sector {k}", centre, 9_000),
                            Shift(dt.time(9), dt.time(17, 30)), 12, 6_000, 150))
    return agents


def seed_field(uow: UnitOfWork, *, borrower_ids: Sequence[int], start: dt.date, seed: int) -> None:
    """Inside the seeding transaction: addresses for ``borrower_ids`` and the sample
    agents. Uses its own generator, so the book's other seeded draws do not change."""
    rng = random.Random(seed * 7_919 + 8)
    repo = uow.field
    at = dt.datetime.combine(start, dt.time(0), tzinfo=dt.UTC)
    for bid in borrower_ids:
        r = CITY_RADIUS_KM * min(1.0, abs(rng.gauss(0, 0.45)))
        a = rng.uniform(0, 2 * math.pi)
        point = _offset(r * math.cos(a), r * math.sin(a))
        text = (f"{CITY}市{rng.choice(DISTRICTS)}{rng.randint(1, 300)}号"
                f"{rng.randint(1, 30)}栋{rng.randint(101, 2804)}室")
        missing = rng.randrange(1000) < NO_COORDINATES_PER_MILLE
        repo.put_address(Address(bid, text, None if missing else point), at=at)
    for agent in sample_agents():
        if repo.has_agent(agent.agent_id):
            continue
        repo.put_agent(agent)
