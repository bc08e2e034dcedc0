"""Pure IRCv3 capability negotiation and SASL PLAIN: events in, raw lines to send out."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

# What the bot asks for when offered: account facts for account: operators, and prefixes.
WANTED = ("account-notify", "extended-join", "account-tag", "multi-prefix")
CHUNK = 400


@dataclass
class CapNegotiation:
    """One registration's CAP LS / REQ / ACK exchange, with SASL PLAIN when configured."""

    sasl_username: str = ""
    sasl_password: str = ""
    offered: set[str] = field(default_factory=set)
    enabled: set[str] = field(default_factory=set)
    done: bool = False
    sasl_result: str | None = None  # "ok", or why it failed

    def start(self) -> list[str]:
        """Lines to send before NICK/USER (servers without CAP just ignore it)."""
        return ["CAP LS 302"]

    def on_cap(self, args: list[str]) -> list[str]:
        """Handle a CAP reply (arguments after the target: subcommand, [*], list)."""
        if self.done or not args:
            return []
        sub = args[0].upper()
        more = len(args) > 2 and args[1] == "*"
        names = {word.split("=", 1)[0] for word in (args[-1] if len(args) > 1 else "").split()}
        if sub == "LS":
            self.offered |= names
            if more:
                return []
            wanted = [c for c in WANTED if c in self.offered]
            if self._sasl_wanted():
                wanted.append("sasl")
            return [f"CAP REQ :{' '.join(wanted)}"] if wanted else self._end()
        if sub == "ACK":
            self.enabled |= {n.lstrip("-~=") for n in names}
            if "sasl" in self.enabled and self._sasl_wanted():
                return ["AUTHENTICATE PLAIN"]
            return self._end()
        if sub == "NAK":
            return self._end()
        if sub in ("NEW", "DEL"):
            if sub == "DEL":
                self.enabled -= names
            return []
        return []

    def _sasl_wanted(self) -> bool:
        return bool(self.sasl_username and self.sasl_password and "sasl" in self.offered)

    def on_authenticate(self, arg: str) -> list[str]:
        """The server's AUTHENTICATE challenge: "+" asks for our PLAIN credentials."""
        if self.done or arg != "+":
            return []
        raw = f"\0{self.sasl_username}\0{self.sasl_password}".encode()
        encoded = base64.b64encode(raw).decode("ascii")
        lines = [f"AUTHENTICATE {encoded[i:i + CHUNK]}" for i in range(0, len(encoded), CHUNK)]
        if len(encoded) % CHUNK == 0:
            lines.append("AUTHENTICATE +")
        return lines

    def on_sasl(self, ok: bool, detail: str = "") -> list[str]:
        """SASL succeeded (903) or failed (902, 904-907): registration goes on either way."""
        self.sasl_result = "ok" if ok else (detail or "failed")
        return self._end()

    def _end(self) -> list[str]:
        if self.done:
            return []
        self.done = True
        return ["CAP END"]
