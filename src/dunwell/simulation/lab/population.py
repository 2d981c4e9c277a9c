"""A synthetic population from a seed: merchants (turnover, seasonality) and consumers
(income), each with willingness to pay, reachability, language and city.

Random numbers are **counter-based**: every draw is a hash of (seed, borrower index,
purpose, day), so the same borrower meets the same shocks and answers the same way
under every strategy (common random numbers), and a vector of borrowers is drawn in
one NumPy pass. Two borrowers are planted for the named stories (index 0: a family
emergency that ends in a plan after a visit; index 1: a refusal that ends in court).
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dunwell.simulation.lab.params import Parameters

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)
#: Index of the planted borrowers.
STORY_PLAN = 0
STORY_COURT = 1
#: (name, centre latitude, longitude): the field agents cover the first city only.
CITIES = (("成都", 30.6586, 104.0647), ("重庆", 29.5630, 106.5516))
CITY_RADIUS_KM = 12.0
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
EN_NAMES = ("Alex Chen", "Sam Wong", "Jamie Lin", "Chris Ho", "Taylor Ng", "Jordan Lee")


def _splitmix(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    with np.errstate(over="ignore"):
        z = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK
        z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK
        z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK
        return z ^ (z >> np.uint64(31))


def purpose_code(purpose: str) -> int:
    return zlib.crc32(purpose.encode())


def uniforms(
    seed: int, index: IntArray | NDArray[np.int64], purpose: str, day: int = 0
) -> FloatArray:
    """One uniform in [0, 1) per borrower index, fixed by (seed, index, purpose, day)."""
    with np.errstate(over="ignore"):
        key = _splitmix(
            np.uint64(seed & 0xFFFFFFFF) * np.uint64(0x100000001B3)
            + np.uint64(purpose_code(purpose))
            + np.asarray([day & 0xFFFFFFFF], dtype=np.uint64) * np.uint64(0x2545F4914F6CDD1D)
        )
        z = _splitmix(key + np.asarray(index, dtype=np.uint64) * np.uint64(0xD1B54A32D192ED03))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def uniform(seed: int, index: int, purpose: str, day: int = 0) -> float:
    return float(uniforms(seed, np.asarray([index], dtype=np.int64), purpose, day)[0])


@dataclass
class Population:
    """Who the borrowers are (index 0..n-1); arrays hold one value per borrower."""

    seed: int
    size: int
    merchant: NDArray[np.bool_]
    language: list[str]
    names: list[str]
    city: list[str]
    latitude: FloatArray
    longitude: FloatArray
    visitable: NDArray[np.bool_]
    income_minor: IntArray  # monthly cash flow: net income, or sales x margin
    sales_minor: IntArray  # merchants' monthly sales (0 for consumers)
    seasonality: FloatArray  # merchants' seasonal swing (share of sales)
    willingness: FloatArray
    reach: FloatArray  # P(a call attempt reaches the borrower)
    home: FloatArray  # P(a visit finds the borrower in)

    def index_of(self, reference: str) -> int:
        return int(reference.rsplit("-", 1)[1])

    def reference(self, i: int) -> str:
        return f"lab-{i:06d}"


def _lognormal(u1: FloatArray, u2: FloatArray, median: float, sigma: float) -> FloatArray:
    z = np.sqrt(-2.0 * np.log(np.maximum(u1, 1e-12))) * np.cos(2 * math.pi * u2)
    return np.asarray(median * np.exp(sigma * z), dtype=np.float64)


def _beta_like(u: FloatArray, mean: float) -> FloatArray:
    """A value in (0, 1) with the given mean: a Kumaraswamy draw, cheap and skewed like
    a Beta."""
    a = 2.0
    b = max(0.05, (1 - mean) * 4.0)
    # choose b so the mean is close: solve roughly with a fixed shape
    x = (1 - (1 - u) ** (1 / b)) ** (1 / a)
    return np.asarray(
        np.clip(1 - (1 - mean) * (x / max(float(np.mean(x)), 1e-9)), 0.01, 0.999), dtype=np.float64
    )


def build(params: Parameters, *, size: int, seed: int) -> Population:
    """``size`` borrowers from ``seed`` (the planted story borrowers first)."""
    idx = np.arange(size, dtype=np.int64)

    def u(purpose: str) -> FloatArray:
        return uniforms(seed, idx, purpose)

    merchant = u("kind") < params["population.merchant_share"]
    english = u("language") < params["population.en_share"]
    remote = u("city") < params["population.remote_city_share"]
    radius = CITY_RADIUS_KM * np.minimum(
        1.0,
        np.abs(np.sqrt(-2.0 * np.log(np.maximum(u("r1"), 1e-12))) * np.cos(2 * math.pi * u("r2")))
        * 0.45,
    )
    angle = 2 * math.pi * u("angle")
    lat0 = np.where(remote, CITIES[1][1], CITIES[0][1])
    lon0 = np.where(remote, CITIES[1][2], CITIES[0][2])
    lat = lat0 + radius * np.cos(angle) / 111.32
    lon = lon0 + radius * np.sin(angle) / (111.32 * np.cos(np.radians(lat0)))
    consumer_income = _lognormal(
        u("inc1"), u("inc2"), params["population.consumer_income_median"], 0.45
    )
    sales = _lognormal(u("sal1"), u("sal2"), params["population.merchant_sales_median"], 0.6)
    margin = 0.15 + 0.15 * u("margin")
    income = np.where(merchant, sales * margin, consumer_income)
    willingness = _beta_like(u("will"), params["population.willingness_mean"])
    refuser = u("refuser") < params["population.refuser_share"]
    willingness = np.where(refuser, 0.03, willingness)
    reach_mean = params["population.call_reach"]
    reach = np.clip(reach_mean * (0.4 + 1.2 * u("reach")), 0.01, 0.95)
    home = np.clip(params["population.home_share"] * (0.6 + 0.8 * u("home")), 0.05, 0.98)
    pop = Population(
        seed=seed,
        size=size,
        merchant=merchant,
        language=["en" if e else "zh-CN" for e in english],
        names=[],
        city=[CITIES[1][0] if r else CITIES[0][0] for r in remote],
        latitude=np.round(lat, 6),
        longitude=np.round(lon, 6),
        visitable=~remote,
        income_minor=(income * 100).astype(np.int64),
        sales_minor=np.where(merchant, sales * 100, 0).astype(np.int64),
        seasonality=np.where(merchant, 0.05 + 0.3 * u("season"), 0.0),
        willingness=willingness,
        reach=reach,
        home=home,
    )
    pop.names = [_name(seed, i, pop.language[i]) for i in range(size)]
    _plant_stories(pop)
    return pop


def _name(seed: int, i: int, language: str) -> str:
    a = int(uniform(seed, i, "surname") * 1e6)
    b = int(uniform(seed, i, "given") * 1e6)
    if language == "en":
        return f"{EN_NAMES[a % len(EN_NAMES)]} {i}"
    return f"{SURNAMES[a % len(SURNAMES)]}{GIVEN[b % len(GIVEN)]}{GIVEN[(b // 31) % len(GIVEN)]}"


def _plant_stories(pop: Population) -> None:
    """The story borrowers: both consumers in the agents' city, paid enough to be lent
    to. The first means to pay but is hard to reach by phone; the second will not pay."""
    for i, will, reach in ((STORY_PLAN, 0.97, 0.05), (STORY_COURT, 0.0, 0.3)):
        if i >= pop.size:
            continue
        pop.merchant[i] = False
        pop.language[i] = "zh-CN"
        pop.city[i] = CITIES[0][0]
        pop.visitable[i] = True
        pop.latitude[i] = round(CITIES[0][1] + 0.01 * (i + 1), 6)
        pop.longitude[i] = round(CITIES[0][2] + 0.01, 6)
        pop.income_minor[i] = 900_000
        pop.sales_minor[i] = 0
        pop.willingness[i] = will
        pop.reach[i] = reach
        pop.home[i] = 0.95
    if pop.size > STORY_PLAN:
        pop.names[STORY_PLAN] = "张伟"
    if pop.size > STORY_COURT:
        pop.names[STORY_COURT] = "李强"


def income_history(pop: Population, i: int, months: int = 6) -> tuple[int, ...]:
    """A consumer's observed monthly incomes before the start, oldest first."""
    base = int(pop.income_minor[i])
    return tuple(int(base * (0.9 + 0.2 * uniform(pop.seed, i, "hist", m))) for m in range(months))


def monthly_sales(pop: Population, i: int, month_index: int) -> int:
    """A merchant's sales in a month (seasonal swing: high in the last and first months
    of the year)."""
    season = 1.0 + pop.seasonality[i] * math.cos(2 * math.pi * (month_index % 12) / 12)
    noise = 0.9 + 0.2 * uniform(pop.seed, i, "sales", month_index)
    return int(pop.sales_minor[i] * season * noise)


def months_before(start: dt.date, count: int) -> list[dt.date]:
    first = start.replace(day=1)
    out = []
    for k in range(count, 0, -1):
        y, m = divmod(first.year * 12 + first.month - 1 - k, 12)
        out.append(dt.date(y, m + 1, 1))
    return out
