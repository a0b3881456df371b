"""Region configuration in TOML; every value has a default.

``load(path)`` reads a file whose tables mirror the dataclasses below; an
unknown key or a value of the wrong type is an error naming the key, so a
typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from chatserver.domain.hours import HoursError, OpeningHours


class ConfigError(ValueError):
    pass


DEMO_DIR = Path(__file__).resolve().parent / "demo"


@dataclass(frozen=True, slots=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    db: str = "var/chatserver.sqlite3"
    # Browser origins allowed to open the WebSocket and call state-changing
    # HTTP endpoints. Empty = same origin only.
    allowed_origins: tuple[str, ...] = ()
    # Where attachments and demo assets are served from; informational.
    public_url: str = ""
    # Seconds to drain on shutdown before connections are closed.
    shutdown_grace: float = 5.0


@dataclass(frozen=True, slots=True)
class LimitsConfig:
    # Largest WebSocket frame (bytes); see protocol/limits.py for why 64 KiB.
    max_frame: int = 64 * 1024
    max_text: int = 4000
    # Commands per second per connection (token bucket): a person types far
    # slower; a client in a loop is stopped before it costs others anything.
    rate: int = 20
    burst: int = 60
    max_subs: int = 100
    # Outbox per connection: a client this far behind is disconnected (4003)
    # and resumes later. One commit can release a whole batch (up to 2,000
    # operations) of frames to a connection at once, before its writer task
    # runs, so the frame bound sits well above that; the byte bound (minutes
    # of a busy room) is what really limits memory.
    outbox_frames: int = 10_000
    outbox_bytes: int = 4 * 1024 * 1024
    # Heartbeat the client should keep; idle connections are closed after
    # idle_timeout (3 missed heartbeats).
    heartbeat: int = 20
    idle_timeout: int = 60
    hello_timeout: int = 10
    # Photos: 10 MB holds a full-resolution phone JPEG.
    upload_bytes: int = 10 * 1024 * 1024
    # Staff logins: lock an account for lockout_s after this many failures.
    login_failures: int = 5
    lockout_s: int = 900
    # Connections in total; beyond this new ones get busy (503).
    max_connections: int = 200_000


@dataclass(frozen=True, slots=True)
class PoolConfig:
    name: str = ""
    # Opening hours as {"mon-fri": "08:00-16:00"}; empty = always open.
    hours: dict[str, str] = field(default_factory=dict)
    # When this pool closes, its waiting cases move to this pool, keeping
    # their deadlines (a health centre at 16:00 to 1177). Empty = they wait.
    handover_to: str = ""


@dataclass(frozen=True, slots=True)
class EntranceConfig:
    name: str = ""
    pool: str = "nurse_1177"
    triage: bool = False
    describe: bool = True
    listing_check: bool = False
    # Default urgency when the entrance does not triage (U4 = within 24 h).
    urgency: int = 4
    # The care unit behind a direct entrance; with listing_check, only
    # patients listed there may use it ("listningskontroll").
    unit: str = ""


@dataclass(frozen=True, slots=True)
class TestIdentity:
    pnr: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class IdentityConfig:
    provider: str = "dev"
    # The dev provider stands in for BankID: only these numbers may log in.
    test_identities: tuple[TestIdentity, ...] = ()


@dataclass(frozen=True, slots=True)
class GuardianConfig:
    # JSON file with {"guardianships": [{"guardian", "child"}], "protected": [...]}
    # standing in for the population register in dev; empty = nobody.
    file: str = ""
    # 1177 lets guardians act until the child turns 13; the seeded entrances
    # take children from 6 months (shared/DOMAIN.md). Some regions use 18.
    min_age_months: int = 6
    max_age_years: int = 13


@dataclass(frozen=True, slots=True)
class TriageConfig:
    plugin: str = "chatserver.triage.fhir:create"
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QueueConfig:
    # Position pushes are coalesced: at most one per case per interval.
    position_interval: float = 2.0
    # Wait estimates use the pool's claims over this window; with too few, the
    # default minutes per case below.
    service_window_min: int = 60
    default_minutes_per_case: float = 6.0
    # Admission control: when a new U4-U6 case would be predicted this many
    # minutes late, chat is closed for them (offer booking instead). 0 = off.
    admission_late_min: int = 120
    max_cases_per_staff: int = 8
    # Open cases one patient (or a guardian for one child) may have at once:
    # more would let one person crowd the queue ahead of everyone else.
    max_open_cases_per_patient: int = 5
    # A claimed case with no staff reply within this many minutes returns to the queue.
    claim_timeout_min: int = 10


@dataclass(frozen=True, slots=True)
class SmsConfig:
    # "dev" writes messages to the log; "http" posts to a 46elks-style API.
    sender: str = "dev"
    url: str = "https://api.46elks.com/a1/sms"
    username: str = ""
    password: str = ""
    sender_name: str = "Region"
    max_attempts: int = 6
    # Shared secret the gateway must put in its delivery-report URL
    # (POST /api/sms/delivery?key=...); empty = delivery reports refused.
    delivery_key: str = ""


# Pacing commits further apart than this would be felt by people chatting.
MAX_COMMIT_INTERVAL_MS = 50.0


@dataclass(frozen=True, slots=True)
class StoreConfig:
    # Group commit under load (DESIGN rule 2): once a commit carried at least
    # busy_batch operations, the next starts no sooner than commit_interval_ms
    # after it did: fewer, larger commits, less CPU per message under heavy
    # load (84 -> 60% of a core at 7,500 msgs/s in one run), for at most that
    # much more latency while busy. A quiet server commits at once. 0 turns
    # pacing off (docs/decisions/0006-messages-append-only.md). Once
    # full_batch operations wait, the next commit starts at once: saturated,
    # pausing then only idled the loop (decision 0008).
    commit_interval_ms: float = 4.0
    busy_batch: int = 16
    full_batch: int = 64


@dataclass(frozen=True, slots=True)
class SessionConfig:
    ttl_s: int = 12 * 3600
    reopen_days: int = 4


@dataclass(frozen=True, slots=True)
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    session: SessionConfig = field(default_factory=SessionConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    identity: IdentityConfig = field(default_factory=IdentityConfig)
    guardians: GuardianConfig = field(default_factory=GuardianConfig)
    triage: TriageConfig = field(default_factory=TriageConfig)
    queue: QueueConfig = field(default_factory=QueueConfig)
    sms: SmsConfig = field(default_factory=SmsConfig)
    pools: dict[str, PoolConfig] = field(default_factory=dict)
    entrances: dict[str, EntranceConfig] = field(default_factory=dict)
    # Which care unit each patient is listed at (personnummer -> unit); in
    # production this comes from the region's listing register.
    listings: dict[str, str] = field(default_factory=dict)

    def replace(self, **sections: Any) -> Config:
        return dataclasses.replace(self, **sections)


def load(path: str | Path | None) -> Config:
    if path is None:
        return default()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: {e}") from None
    return from_dict(data)


def from_dict(data: dict[str, Any]) -> Config:
    cfg = _build(Config, data, "")
    assert isinstance(cfg, Config)
    if not cfg.pools:
        cfg = cfg.replace(pools=default().pools)
    defaults = ""
    if not cfg.entrances:
        cfg = cfg.replace(entrances=default().entrances)
        defaults = " (an entrance of the built-in demo: with [pools] set, set [entrances] too)"
    for key, ent in cfg.entrances.items():
        if ent.pool not in cfg.pools:
            raise ConfigError(f"entrances.{key}.pool: unknown pool {ent.pool!r}{defaults}")
    for key, pool in cfg.pools.items():
        if pool.handover_to and pool.handover_to not in cfg.pools:
            raise ConfigError(f"pools.{key}.handover_to: unknown pool {pool.handover_to!r}")
        if pool.hours:
            try:
                OpeningHours.parse(pool.hours)
            except HoursError as e:
                raise ConfigError(f"pools.{key}.hours: {e}") from None
    if not 0 <= cfg.store.commit_interval_ms <= MAX_COMMIT_INTERVAL_MS:
        raise ConfigError(
            f"store.commit_interval_ms: {cfg.store.commit_interval_ms:g} is outside "
            f"0..{MAX_COMMIT_INTERVAL_MS:g} (it adds to every message's latency under load)"
        )
    if cfg.store.busy_batch < 1:
        raise ConfigError(f"store.busy_batch: {cfg.store.busy_batch} must be at least 1")
    if cfg.store.full_batch < cfg.store.busy_batch:
        raise ConfigError(
            f"store.full_batch: {cfg.store.full_batch} must be at least "
            f"store.busy_batch ({cfg.store.busy_batch})"
        )
    return cfg


def default() -> Config:
    """A small region that works out of the box (used by tests and `make run`)."""
    return Config(
        identity=IdentityConfig(
            provider="dev",
            # Skatteverket's test personnummer (CC0 open data; never given to real people).
            test_identities=(
                TestIdentity("198501012382", "Tess Testsson"),
                TestIdentity("200306062381", "Alva Provsson"),
                TestIdentity("190704019801", "Gustav Äldresson"),
                TestIdentity("189506299818", "Herbert Hundraårsson"),
                TestIdentity("201701012393", "Lilla Testsson"),
                TestIdentity("202503082386", "Bebis Testsson"),
                TestIdentity("202504182391", "Nova Provsson"),
            ),
        ),
        guardians=GuardianConfig(file=str(DEMO_DIR / "guardians.json")),
        listings={"198501012382": "vc_centrum", "200306062381": "vc_centrum"},
        # Pools are open around the clock by default so that a developer can try
        # everything at any hour; regions set [pools.x] hours (see
        # docs/region-example.toml).
        pools={
            "nurse_1177": PoolConfig(name="1177 sjuksköterskor"),
            "vc_nurse": PoolConfig(name="Vårdcentralens sjuksköterskor"),
            "secretary": PoolConfig(name="Vårdcentralens sekreterare"),
            "physician": PoolConfig(name="Läkare"),
            "psychologist": PoolConfig(name="Psykolog"),
            "bvc": PoolConfig(name="Barnavårdscentralen (BVC)"),
        },
        entrances={
            "seek_care": EntranceConfig(name="Sök vård", pool="nurse_1177", triage=True),
            "vc_secretary": EntranceConfig(
                name="Chatta med sekreteraren",
                pool="secretary",
                unit="vc_centrum",
                listing_check=True,
            ),
            "vc_nurse": EntranceConfig(name="Chatta med sjuksköterskan", pool="vc_nurse"),
            "bvc": EntranceConfig(name="Barnavårdscentralen (BVC)", pool="bvc"),
        },
    )


def _build(tp: Any, value: Any, where: str) -> Any:
    origin = get_origin(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, dict):
            raise ConfigError(f"{where or 'config'}: expected a table")
        hints = get_type_hints(tp)
        names = {f.name for f in dataclasses.fields(tp)}
        unknown = set(value) - names
        if unknown:
            raise ConfigError(f"{where or 'config'}: unknown key(s) {', '.join(sorted(unknown))}")
        kwargs = {k: _build(hints[k], v, f"{where}.{k}".lstrip(".")) for k, v in value.items()}
        return tp(**kwargs)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table")
        _, vt = get_args(tp)
        return {str(k): _build(vt, v, f"{where}.{k}") for k, v in value.items()}
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected an array")
        (it, _) = get_args(tp)
        return tuple(_build(it, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (Union, types.UnionType):
        for alt in get_args(tp):
            try:
                return _build(alt, value, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where}: unexpected value {value!r}")
    if tp is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if tp in (int, str, bool) and type(value) is tp:
        return value
    if tp is type(None) and value is None:
        return None
    raise ConfigError(f"{where}: expected {getattr(tp, '__name__', tp)}, got {value!r}")
