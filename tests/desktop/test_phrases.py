"""Canned phrases: /key lookup, personal before shared, placeholders."""

from __future__ import annotations

from clients.desktop.phrases import Context, PhraseBook, first_name
from protocol.frames import Phrase

CTX = Context(patient="Tess", staff="Anna Andersson", unit="Vårdcentralen Centrum")
BOOK = PhraseBook(
    [
        Phrase(key="hej", text="Hej {patient}!", scope="vc_nurse"),
        Phrase(key="hej", text="Hej {patient}, {staff} här.", scope="personal"),
        Phrase(key="tid", text="Boka tid på {unit}.", scope="nurse_1177"),
        Phrase(key="tid", text="Ring {unit}.", scope="vc_nurse"),
        Phrase(key="hejdå", text="Ha det bra!", scope="vc_nurse"),
    ],
    pool="vc_nurse",
)


def test_personal_wins_then_the_cases_own_pool() -> None:
    hej = BOOK.find("hej")
    tid = BOOK.find("tid")
    assert hej is not None and hej.scope == "personal"
    assert tid is not None and tid.scope == "vc_nurse"
    assert BOOK.find("nope") is None
    other = PhraseBook(BOOK.all, pool="secretary")
    found = other.find("tid")
    assert found is not None and found.scope == "nurse_1177"  # first pool by name


def test_expand_the_key_just_typed() -> None:
    assert BOOK.expand_last("/hej", CTX) == "Hej Tess, Anna Andersson här."
    assert BOOK.expand_last("Tack. /tid", CTX) == "Tack. Ring Vårdcentralen Centrum."
    assert BOOK.expand_last("/hejdå", CTX) == "Ha det bra!"
    assert BOOK.expand_last("a/hej", CTX) is None  # not at a word start
    assert BOOK.expand_last("/okänd", CTX) is None
    assert BOOK.expand_last("hej", CTX) is None


def test_expand_every_standing_key_and_leave_the_rest() -> None:
    text = "/hej Tar du 1/2 tablett? /tid /x"
    assert BOOK.expand_all(text, CTX) == (
        "Hej Tess, Anna Andersson här. Tar du 1/2 tablett? Ring Vårdcentralen Centrum. /x"
    )


def test_prefixes_one_per_key() -> None:
    assert [p.key for p in BOOK.starting_with("he")] == ["hej", "hejdå"]
    assert BOOK.starting_with("")[0].text == "Hej {patient}, {staff} här."


def test_placeholders_and_first_names() -> None:
    assert CTX.fill("{patient}/{staff}/{unit}/{other}") == (
        "Tess/Anna Andersson/Vårdcentralen Centrum/{other}"
    )
    assert first_name("Tess Testsson") == "Tess"
    assert first_name("") == ""
