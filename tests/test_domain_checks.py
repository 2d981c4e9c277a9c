"""tools/check_domain.py: no float in money code, no wall clock in the domain."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_domain", ROOT / "tools" / "check_domain.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


check_domain = _load_checker()


def findings(source: str, *, money: bool = True, domain: bool = True) -> list[str]:
    code = textwrap.dedent(source)
    return [str(f) for f in check_domain.check_source(code, "m.py", money=money, domain=domain)]


CLEAN = '''
    """Accrual for one day, as the domain writes it."""
    from __future__ import annotations

    import datetime as dt
    import random
    from decimal import Decimal

    import numpy as np


    def accrue(principal_minor: int, rate: Decimal, *, business_date: dt.date) -> int:
        return int(principal_minor * rate / 360)


    def pick(rng: random.Random, gen: np.random.Generator, amount: object) -> int:
        if isinstance(amount, float):
            raise TypeError("amounts are decimal strings")
        return rng.randrange(10) + int(gen.integers(10))
'''


def test_domain_code_that_takes_its_date_and_generator_passes() -> None:
    assert findings(CLEAN) == []


def test_a_float_call_in_money_code_is_reported() -> None:
    assert findings("x = float('1.50')\n") == [
        "m.py:1: float() in money code; use int minor units or Decimal"
    ]


@pytest.mark.parametrize(
    "source",
    [
        "def rate(x: int) -> float: ...\n",
        "def rate(x: float) -> int: ...\n",
        "def rate(x: float | None) -> int: ...\n",
        "x: list[float] = []\n",
    ],
)
def test_a_float_annotation_in_money_code_is_reported(source: str) -> None:
    assert findings(source) == [
        "m.py:1: float annotation in money code; use int minor units or Decimal"
    ]


@pytest.mark.parametrize("literal", ["1.5", "0.0", "1e6", ".5"])
def test_a_float_literal_in_money_code_is_reported(literal: str) -> None:
    (only,) = findings(f"amount = {literal}\n")
    assert only.startswith("m.py:1: float literal ")


def test_a_line_marked_float_ok_with_a_reason_is_exempt() -> None:
    assert findings("share = 0.25  # float-ok: display ratio, never booked\n") == []


def test_a_float_ok_marker_without_a_reason_exempts_nothing() -> None:
    assert len(findings("share = 0.25  # float-ok:\n")) == 1


def test_a_float_ok_marker_in_the_header_exempts_the_file_and_nowhere_else() -> None:
    header = '"""Chart data."""\n# float-ok: plotting only\nimport math\nx = 1.5\n'
    assert findings(header) == []
    later = '"""Chart data."""\nimport math\n# float-ok: plotting only\nx = 1.5\n'
    assert findings(later) == [
        "m.py:4: float literal 1.5 in money code; use int minor units or Decimal"
    ]


def test_floats_are_allowed_outside_money_code() -> None:
    assert findings("score: float = 0.5\n", money=False) == []


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("import datetime\nx = datetime.datetime.now()\n", "datetime.datetime.now"),
        ("import datetime as dt\nx = dt.datetime.utcnow()\n", "datetime.datetime.utcnow"),
        ("from datetime import date\nx = date.today()\n", "datetime.date.today"),
        ("from datetime import datetime as D\nx = D.now\n", "datetime.datetime.now"),
        ("import time\nx = time.time()\n", "time.time"),
        ("from time import monotonic\nx = monotonic()\n", "time.monotonic"),
        ("import time\nx = time.perf_counter()\n", "time.perf_counter"),
        ("import os\nx = os.environ.get('X')\n", "os.environ"),
        ("import os\nx = os.getenv('X')\n", "os.getenv"),
        ("from os import environ\nx = environ['X']\n", "os.environ"),
    ],
)
def test_the_clock_and_the_environment_are_not_read_in_the_domain(source: str, name: str) -> None:
    (only,) = findings(source)
    assert only.startswith(f"m.py:2: {name} reads the ")


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("import random\nx = random.random()\n", "random.random"),
        ("import random\nx = random.choice([1, 2])\n", "random.choice"),
        ("from random import shuffle\nshuffle([])\n", "random.shuffle"),
        ("import numpy as np\nx = np.random.rand(3)\n", "numpy.random.rand"),
        ("import numpy as np\nx = np.random.default_rng()\n", "numpy.random.default_rng"),
        ("import uuid\nx = uuid.uuid4()\n", "uuid.uuid4"),
    ],
)
def test_randomness_is_injected_not_drawn_from_a_module(source: str, name: str) -> None:
    assert findings(source) == [
        f"m.py:2: {name} draws ambient randomness; take a seeded generator as an argument"
    ]


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("from pathlib import Path\nx = Path('m.json').read_text()\n", "pathlib.Path"),
        ("import os\nos.replace('a', 'b')\n", "os.replace"),
        ("import shutil\nshutil.rmtree('x')\n", "shutil.rmtree"),
        ("import subprocess\nsubprocess.run(['ls'])\n", "subprocess.run"),
        ("import urllib.request\nurllib.request.urlopen('http://x')\n",
         "urllib.request.urlopen"),
        ("import tempfile\nd = tempfile.mkdtemp()\n", "tempfile.mkdtemp"),
    ],
)
def test_files_processes_and_the_network_are_not_reached_from_the_domain(
        source: str, name: str) -> None:
    (only,) = findings(source)
    assert only.startswith(f"m.py:2: {name} reaches files, processes or the network")


def test_open_is_refused_in_the_domain_and_allowed_in_the_shell() -> None:
    source = "x = 1\nwith open('m.json') as fh:\n    data = fh.read()\n"
    assert findings(source) == [
        "m.py:2: open() reads or writes a file; do it in the store or a provider and pass "
        "the data in"]
    assert findings(source, domain=False) == []


def test_packaged_data_read_through_importlib_resources_is_allowed() -> None:
    source = ("from importlib import resources\n"
              "text = resources.files('dunwell.lending').joinpath('caps.toml').read_text()\n")
    assert findings(source) == []


def test_a_local_name_that_shadows_no_import_is_not_confused_with_a_module() -> None:
    assert findings("def f(time: int) -> int:\n    return time.real\n") == []


def test_only_domain_packages_are_checked(tmp_path: Path) -> None:
    for package in ("app", "lending", "compliance"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "clock.py").write_text("import time\nx = time.time() * 1.5\n")
    reported = [(Path(f.path).parent.name, f.line) for f in check_domain.check_tree(tmp_path)]
    assert reported == [("compliance", 2), ("lending", 2), ("lending", 2)]


def test_main_prints_each_finding_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "money.py").write_text("x = 0.1\n")
    assert check_domain.main([str(tmp_path)]) == 1
    path = tmp_path / "core" / "money.py"
    assert capsys.readouterr().out.splitlines() == [
        f"{path}:1: float literal 0.1 in money code; use int minor units or Decimal"
    ]


def test_the_source_tree_is_clean() -> None:
    assert [str(f) for f in check_domain.check_tree(ROOT / "src" / "dunwell")] == []
