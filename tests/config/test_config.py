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
        ({"store": {"commit_interval_ms": 500}}, "store.commit_interval_ms: 500 is outside 0..50"),
        ({"store": {"commit_interval_ms": -1}}, "store.commit_interval_ms: -1 is outside"),
        ({"store": {"busy_batch": 0}}, "store.busy_batch: 0 must be at least 1"),
        (
            {"store": {"busy_batch": 32, "full_batch": 16}},
            "store.full_batch: 16 must be at least store.busy_batch (32)",
        ),
    ],
)
def test_mistakes_name_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(config.ConfigError) as err:
        config.from_dict(data)
    assert message in str(err.value)


def test_defaults_work_without_a_file() -> None:
    cfg = config.load(None)
    assert cfg.server.port == 8080 and "seek_care" in cfg.entrances


def test_store_pacing_reaches_the_writer_in_seconds(tmp_path: Path) -> None:
    path = tmp_path / "region.toml"
    path.write_text(
        "[store]\ncommit_interval_ms = 2.5\nbusy_batch = 32\nfull_batch = 128\n", encoding="utf-8"
    )
    cfg = config.load(path)
    assert (cfg.store.commit_interval_ms, cfg.store.busy_batch, cfg.store.full_batch) == (
        2.5,
        32,
        128,
    )
    assert config.load(None).store.commit_interval_ms == 4.0
