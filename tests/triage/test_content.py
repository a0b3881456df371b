"""Loading content: immutability by version and hash, catalogs, and the shipped example content."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from chatserver.triage.content import MAX_CONTENT_FILE_BYTES, load_content
from chatserver.triage.errors import ContentError
from chatserver.triage.fhir import FhirTriagePlugin, builtin_content
from tests.triage import builders
from tests.triage.builders import item

SHIPPED = Path(str(builtin_content()))
BANNER_SV = "EXEMPEL – inte kliniskt validerat"
BANNER_EN = "EXAMPLE – not clinically validated"


def test_shipped_content_is_marked_and_hashed() -> None:
    library = load_content([builtin_content()])
    assert library.questionnaires and library.rulesets and library.catalogs
    for questionnaire in library.questionnaires.values():
        raw = (SHIPPED / questionnaire.source).read_bytes()
        assert questionnaire.sha256 == hashlib.sha256(raw).hexdigest()
        assert BANNER_SV in questionnaire.description and BANNER_EN in questionnaire.description
        copyright_ = json.loads(raw)["copyright"]
        assert "Källor" in questionnaire.description and BANNER_SV in copyright_
    for ruleset in library.rulesets.values():
        raw = (SHIPPED / ruleset.source).read_bytes()
        assert ruleset.sha256 == hashlib.sha256(raw).hexdigest()
        assert ruleset.disclaimer is not None
        assert BANNER_SV in ruleset.disclaimer.sv and BANNER_EN in ruleset.disclaimer.en


def test_every_shipped_file_name_carries_its_version() -> None:
    for path in SHIPPED.glob("*.json"):
        version = json.loads(path.read_text(encoding="utf-8"))["version"]
        assert path.name.endswith(f"-{version}.json")


def test_same_name_and_version_with_other_content_is_refused(tmp_path: Path) -> None:
    builders.write_release(tmp_path / "a", [item("q1")])
    builders.write_release(tmp_path / "b", [item("q1"), item("q2")])
    with pytest.raises(ContentError, match="immutable"):
        load_content([tmp_path / "a", tmp_path / "b"])


def test_identical_copies_are_one_version(tmp_path: Path) -> None:
    builders.write_release(tmp_path / "a", [item("q1")])
    builders.write_release(tmp_path / "b", [item("q1")])
    library = load_content([tmp_path / "a", tmp_path / "b"])
    assert list(library.questionnaires) == [f"{builders.URL}|1.0.0"]


def test_file_name_must_end_in_the_version(tmp_path: Path) -> None:
    builders.write_release(tmp_path, [item("q1")])
    (tmp_path / "test-1.0.0.json").rename(tmp_path / "test-latest.json")
    with pytest.raises(ContentError, match=r"-1\.0\.0\.json"):
        load_content([tmp_path])


def test_newest_catalog_is_served_unless_pinned(tmp_path: Path) -> None:
    builders.write_release(tmp_path, [item("q1")], version="1.0.0")
    builders.write_release(tmp_path, [item("q1"), item("q2")], version="1.10.0")
    builders.write_release(tmp_path, [item("q1"), item("q3")], version="1.9.0")
    library = load_content([tmp_path])
    assert FhirTriagePlugin(library).catalog.version == "1.10.0"
    assert FhirTriagePlugin(library, "1.0.0").catalog.version == "1.0.0"
    with pytest.raises(ContentError):
        FhirTriagePlugin(library, "2.0.0")


def test_catalog_must_reference_loaded_matching_content(tmp_path: Path) -> None:
    builders.write_release(tmp_path, [item("q1")])
    catalog = builders.catalog("1.0.1")
    catalog["complaints"][0]["rules"] = "test|9.9.9"
    builders.write(tmp_path, "catalog-1.0.1.json", catalog)
    with pytest.raises(ContentError, match="ruleset"):
        load_content([tmp_path])


def test_ruleset_must_name_a_loaded_questionnaire(tmp_path: Path) -> None:
    builders.write(tmp_path, "test-1.0.0.json", builders.questionnaire([item("q1")]))
    rules = builders.ruleset([], questionnaire_version="2.0.0")
    builders.write(tmp_path, "test-rules-1.0.0.json", rules)
    with pytest.raises(ContentError, match="questionnaire"):
        load_content([tmp_path])


def test_catalog_rejects_a_ruleset_for_another_questionnaire(tmp_path: Path) -> None:
    builders.write_release(tmp_path, [item("q1")], version="1.0.0")
    builders.write_release(tmp_path, [item("q1")], version="1.1.0")
    catalog = builders.catalog("1.2.0")
    catalog["complaints"][0]["rules"] = "test|1.0.0"
    catalog["complaints"][0]["questionnaire"] = f"{builders.URL}|1.1.0"
    builders.write(tmp_path, "catalog-1.2.0.json", catalog)
    with pytest.raises(ContentError, match="written for"):
        load_content([tmp_path])


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"kind": "something else", "version": "1.0.0"}',
        b" " * (MAX_CONTENT_FILE_BYTES + 1),
    ],
)
def test_unreadable_files_are_refused(tmp_path: Path, raw: bytes) -> None:
    builders.write_release(tmp_path, [item("q1")])
    (tmp_path / "junk-1.0.0.json").write_bytes(raw)
    with pytest.raises(ContentError):
        load_content([tmp_path])


def test_other_files_are_ignored_and_a_missing_directory_refused(tmp_path: Path) -> None:
    builders.write_release(tmp_path, [item("q1")])
    (tmp_path / "README.md").write_text("notes", encoding="utf-8")
    assert load_content([tmp_path]).catalogs
    with pytest.raises(ContentError):
        load_content([tmp_path / "missing"])


def test_no_catalog_is_an_error(tmp_path: Path) -> None:
    builders.write(tmp_path, "test-1.0.0.json", builders.questionnaire([item("q1")]))
    with pytest.raises(ContentError, match="no catalog"):
        FhirTriagePlugin(load_content([tmp_path]))
