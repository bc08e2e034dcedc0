"""CAP negotiation and SASL PLAIN, as exchanges of lines."""

from __future__ import annotations

import base64

from statusd.irc.caps import CapNegotiation


def test_ngircd_offers_multi_prefix_only() -> None:
    cap = CapNegotiation()
    assert cap.start() == ["CAP LS 302"]
    assert cap.on_cap(["LS", "multi-prefix"]) == ["CAP REQ :multi-prefix"]
    assert cap.on_cap(["ACK", "multi-prefix"]) == ["CAP END"]
    assert cap.enabled == {"multi-prefix"} and cap.done


def test_account_caps_are_requested_when_offered_over_several_lines() -> None:
    cap = CapNegotiation()
    assert cap.on_cap(["LS", "*", "account-notify away-notify sasl=PLAIN,EXTERNAL"]) == []
    assert cap.on_cap(["LS", "extended-join account-tag"]) == [
        "CAP REQ :account-notify extended-join account-tag"]
    assert cap.on_cap(["ACK", "account-notify extended-join account-tag"]) == ["CAP END"]
    assert "account-tag" in cap.enabled


def test_nothing_offered_ends_at_once() -> None:
    cap = CapNegotiation()
    assert cap.on_cap(["LS", ""]) == ["CAP END"]
    assert cap.on_cap(["LS", "multi-prefix"]) == []  # done: later CAP lines change nothing


def test_nak_ends() -> None:
    cap = CapNegotiation()
    cap.on_cap(["LS", "account-tag"])
    assert cap.on_cap(["NAK", "account-tag"]) == ["CAP END"]


def test_sasl_plain() -> None:
    cap = CapNegotiation("statusd", "s3cret")
    assert cap.on_cap(["LS", "sasl=PLAIN account-tag"]) == ["CAP REQ :account-tag sasl"]
    assert cap.on_cap(["ACK", "account-tag sasl"]) == ["AUTHENTICATE PLAIN"]
    lines = cap.on_authenticate("+")
    assert lines == ["AUTHENTICATE " + base64.b64encode(b"\0statusd\0s3cret").decode()]
    assert cap.on_sasl(True) == ["CAP END"]
    assert cap.sasl_result == "ok"


def test_sasl_failure_still_ends_registration() -> None:
    cap = CapNegotiation("statusd", "wrong")
    cap.on_cap(["LS", "sasl"])
    cap.on_cap(["ACK", "sasl"])
    assert cap.on_sasl(False, "saslfail") == ["CAP END"]
    assert cap.sasl_result == "saslfail"


def test_sasl_not_offered_is_skipped() -> None:
    cap = CapNegotiation("statusd", "pw")
    assert cap.on_cap(["LS", "multi-prefix"]) == ["CAP REQ :multi-prefix"]


def test_long_sasl_payload_is_chunked() -> None:
    cap = CapNegotiation("u", "p" * 600)
    cap.on_cap(["LS", "sasl"])
    cap.on_cap(["ACK", "sasl"])
    lines = cap.on_authenticate("+")
    assert len(lines) >= 2 and all(len(x) <= len("AUTHENTICATE ") + 400 for x in lines)
