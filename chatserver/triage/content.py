"""Loading the immutable, versioned content files: questionnaires, rule tables, catalogs.

Content is published, never edited in place (EU MDR traceability, DOMAIN.md):
each file's name ends in ``-<version>.json``, its sha256 is recorded, and two
files that claim the same ``url|version`` (or ``id|version``) with different
bytes are refused. Identical copies are tolerated, so a content directory may
be assembled from several releases.

Three kinds of file, told apart by their first keys:

- FHIR ``Questionnaire`` (``resourceType``), named by ``url|version``;
- rule table (``kind: chatserver.triage.ruleset``), named by ``id|version``,
  written for one ``questionnaire`` ``url|version``;
- catalog (``kind: chatserver.triage.catalog``), named by its version: the
  release, listing the complaints offered in order, each with the
  questionnaire and rule table it uses. The plugin serves the newest catalog
  unless configured otherwise; older files stay loaded so that sessions
  started on them finish on them.

Reading files is the only I/O of the triage package, and happens once at load.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources.abc import Traversable

from chatserver.triage.errors import ContentError
from chatserver.triage.jsonshape import Node
from chatserver.triage.questionnaire import VERSION_RE, Questionnaire, parse_questionnaire
from chatserver.triage.rules import RULESET_KIND, Ruleset, parse_ruleset

CATALOG_KIND = "chatserver.triage.catalog"

# A questionnaire is a few kB; refuse anything that is clearly not content
# rather than read it whole (a limit on every read, STYLE.md).
MAX_CONTENT_FILE_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    complaint: str
    questionnaire: Questionnaire
    ruleset: Ruleset


@dataclass(frozen=True)
class Catalog:
    version: str
    entries: tuple[CatalogEntry, ...]
    sha256: str
    source: str

    def entry(self, complaint: str) -> CatalogEntry | None:
        return next((e for e in self.entries if e.complaint == complaint), None)


@dataclass(frozen=True)
class ContentLibrary:
    """Every content version loaded, by canonical name."""

    questionnaires: dict[str, Questionnaire]
    rulesets: dict[str, Ruleset]
    catalogs: dict[str, Catalog]

    def catalog(self, version: str | None) -> Catalog:
        """The catalog of that version, or the newest one."""
        if version is None:
            if not self.catalogs:
                raise ContentError("no catalog among the content files")
            return self.catalogs[max(self.catalogs, key=version_key)]
        found = self.catalogs.get(version)
        if found is None:
            raise ContentError(f"no catalog of version {version!r}; have {sorted(self.catalogs)}")
        return found


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@dataclass(frozen=True, slots=True)
class _File:
    name: str
    data: dict[str, object]
    sha256: str


def load_content(directories: Iterable[Traversable]) -> ContentLibrary:
    files = [f for d in directories for f in _read_directory(d)]
    questionnaires: dict[str, Questionnaire] = {}
    rulesets: dict[str, Ruleset] = {}
    catalogs: dict[str, Catalog] = {}
    shas: dict[str, tuple[str, str]] = {}  # canonical name → (sha256, file name)

    def claim(key: str, file: _File, version: str) -> bool:
        """True if new; False for an identical copy; refuse a different one."""
        if not file.name.endswith(f"-{version}.json"):
            raise ContentError(f"{file.name}: the file name must end in -{version}.json")
        known = shas.get(key)
        if known is None:
            shas[key] = (file.sha256, file.name)
            return True
        if known[0] != file.sha256:
            raise ContentError(
                f"{file.name} and {known[1]} both claim {key} with different content; "
                "published content is immutable: give the new one a new version"
            )
        return False

    for file in files:
        if file.data.get("resourceType") != "Questionnaire" and file.data.get("kind") not in (
            RULESET_KIND,
            CATALOG_KIND,
        ):
            raise ContentError(f"{file.name}: neither a Questionnaire, a ruleset nor a catalog")
    for file in files:
        if file.data.get("resourceType") == "Questionnaire":
            q = parse_questionnaire(file.data, sha256=file.sha256, source=file.name)
            if claim(f"Questionnaire {q.canonical}", file, q.version):
                questionnaires[q.canonical] = q
    for file in files:
        if file.data.get("kind") == RULESET_KIND:
            node = Node.of(file.data, file.name)
            target = questionnaires.get(node.text("questionnaire"))
            if target is None:
                raise node.fail("questionnaire", "no such questionnaire url|version loaded")
            r = parse_ruleset(file.data, sha256=file.sha256, source=file.name, questionnaire=target)
            if claim(f"ruleset {r.canonical}", file, r.version):
                rulesets[r.canonical] = r
    for file in files:
        if file.data.get("kind") == CATALOG_KIND:
            c = _parse_catalog(file, questionnaires, rulesets)
            if claim(f"catalog {c.version}", file, c.version):
                catalogs[c.version] = c
    return ContentLibrary(questionnaires, rulesets, catalogs)


def _read_directory(directory: Traversable) -> list[_File]:
    if not directory.is_dir():
        raise ContentError(f"{directory}: not a content directory")
    files = []
    for entry in sorted(directory.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json") or not entry.is_file():
            continue
        raw = entry.read_bytes()
        if len(raw) > MAX_CONTENT_FILE_BYTES:
            raise ContentError(f"{entry.name}: larger than {MAX_CONTENT_FILE_BYTES} bytes")
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ContentError(f"{entry.name}: not UTF-8 JSON: {exc}") from exc
        files.append(
            _File(entry.name, Node.of(data, entry.name).data, hashlib.sha256(raw).hexdigest())
        )
    return files


def _parse_catalog(
    file: _File, questionnaires: dict[str, Questionnaire], rulesets: dict[str, Ruleset]
) -> Catalog:
    node = Node.of(file.data, file.name)
    version = node.text("version")
    if not VERSION_RE.match(version):
        raise node.fail("version", "expected MAJOR.MINOR.PATCH")
    entries = []
    for entry in node.nodes("complaints"):
        questionnaire = questionnaires.get(entry.text("questionnaire"))
        ruleset = rulesets.get(entry.text("rules"))
        if questionnaire is None:
            raise entry.fail("questionnaire", "no such questionnaire url|version loaded")
        if ruleset is None:
            raise entry.fail("rules", "no such ruleset id|version loaded")
        if ruleset.questionnaire != questionnaire.canonical:
            raise entry.fail(
                "rules", f"written for {ruleset.questionnaire}, not this questionnaire"
            )
        entries.append(CatalogEntry(entry.text("code"), questionnaire, ruleset))
    codes = [e.complaint for e in entries]
    if not entries or len(set(codes)) != len(codes):
        raise node.fail("complaints", "needs complaints with unique codes")
    return Catalog(version, tuple(entries), file.sha256, file.name)
