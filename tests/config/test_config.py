"""Region configuration: the example file loads, mistakes name their key."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatserver import config
from chatserver.domain.hours import OpeningHours

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "region-example.toml"


def test_example_region_loads_and_its_hours_parse() -> None:
    cfg = config.load(EXAMPLE)
    assert cfg.entrances["vc_secretary"].listing_check
    for pool in cfg.pools.values():
        OpeningHours.parse(pool.hours)
    assert cfg.server.allowed_origins == ("https://www.1177.se", "https://vard.region.example")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"server": {"prot": 1}}, "server: unknown key(s) prot"),
        ({"server": {"port": "80"}}, "server.port: expected int"),
        ({"entrances": {"x": {"pool": "nope"}}}, "entrances.x.pool: unknown pool 'nope'"),
        ({"limits": []}, "limits: expected a table"),
        (
            {"pools": {"p": {"hours": {"mon-fri": "8-16"}}}, "entrances": {"e": {"pool": "p"}}},
            "pools.p.hours: ",
        ),
        (
            {"pools": {"p": {"hours": {"holidays": "open"}}}, "entrances": {"e": {"pool": "p"}}},
            "pools.p.hours: holidays: 'open'",
        ),
        ({"pools": {"p": {}}}, "(an entrance of the built-in demo: with [pools] set"),
    ],
)
def test_mistakes_name_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(config.ConfigError) as err:
        config.from_dict(data)
    assert message in str(err.value)


def test_defaults_work_without_a_file() -> None:
    cfg = config.load(None)
    assert cfg.server.port == 8080 and "seek_care" in cfg.entrances
