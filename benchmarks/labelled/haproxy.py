"""HAProxy messages: HTTP and TCP log lines, health checks, servers going up and down."""

from __future__ import annotations

import random

from benchmarks.labelled import System
from benchmarks.labelled.values import Value, urlpath, word

FRONTENDS = ["www", "www~", "api", "stats", "mqtt_in", "pg_front"]
BACKENDS = ["web", "api_pool", "static", "app", "pg_primary", "mqtt"]
TERMINATION = ["----", "----", "----", "CD--", "SD--", "cD--", "sH--", "CH--", "PR--", "LR--"]
METHODS = ["GET", "GET", "GET", "POST", "HEAD", "PUT", "OPTIONS"]
REASONS = ["Service Unavailable", "Bad Gateway", "Not Found", "Internal Server Error"]


def _date(rng: random.Random) -> str:
    return (f"{rng.randint(10, 28)}/May/2024:{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:"
            f"{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}")


def _timers(n: int) -> Value:
    return lambda rng: "/".join(str(rng.choice([0, 0, 1, rng.randint(0, 3000)])) for _ in range(n))


def _request(rng: random.Random) -> str:
    return f"{rng.choice(METHODS)} {urlpath(rng)} HTTP/1.1"


def _server(rng: random.Random) -> str:
    return rng.choice([f"app{rng.randint(1, 9)}", f"srv-{rng.randint(1, 20)}", "primary",
                       "replica"])


SYSTEM = System("haproxy", (
    "{ipport} [{date}] {frontend} {backend}/{server} {timers5} {status} {num} - - {term} "
    "{timers5} {timers2} \"{request}\"",
    "{ipport} [{date}] {frontend} {backend}/{server} {timers3} {num} {term} {timers5} {timers2}",
    "Health check for server {backend}/{server} succeeded, reason: Layer7 check passed, code: "
    "{status}, check duration: {small}ms, status: {small}/{small} UP.",
    "Health check for server {backend}/{server} failed, reason: Layer4 timeout, check "
    "duration: {num}ms, status: {small}/{small} DOWN.",
    "{ipport} [{date}] {frontend}/{bind}: SSL handshake failure",
    "Server {backend}/{server} is DOWN, reason: Layer4 connection problem, info: \"Connection "
    "refused\", check duration: {small}ms. {small} active and {small} backup servers left. "
    "{small} sessions active, {small} requeued, {small} remaining in queue.",
    "Server {backend}/{server} is UP, reason: Layer7 check passed, code: {status}, check "
    "duration: {small}ms. {small} active and {small} backup servers online. {small} sessions "
    "requeued, {small} total in queue.",
    "Server {backend}/{server} is DOWN, reason: Layer7 wrong status, code: {bad}, info: "
    "\"{reason}\", check duration: {small}ms. {small} active and {small} backup servers left. "
    "{small} sessions active, {small} requeued, {small} remaining in queue.",
    "Connect from {ipport} to {ipport} ({frontend}/HTTP)",
    "backend {backend} has no server available!",
    "Proxy {frontend} started.",
    "Proxy {frontend} stopped (cumulated conns: FE: {num}, BE: {num}).",
    "Stopping frontend {frontend} in {num} ms.",
    "Stopping backend {backend} in {num} ms.",
    "Server {backend}/{server} is going DOWN for maintenance. {small} active and {small} backup "
    "servers left. {small} sessions active, {small} requeued, {small} remaining in queue.",
    "{which} worker #{small} ({num}) exited with code {small} ({exit})",
    "New worker #{small} ({num}) forked",
    "Loading success.",
    "Reexecuting Master process",
    "Server {backend}/{server} was DOWN and now enters maintenance.",
    "Server {backend}/{server} is UP/READY (leaving forced maintenance).",
), {"date": _date, "frontend": word(FRONTENDS), "backend": word(BACKENDS), "server": _server,
    "timers5": _timers(5), "timers3": _timers(3), "timers2": _timers(2), "request": _request,
    "status": word(["200", "200", "200", "301", "304", "404", "502", "503"]),
    "term": word(TERMINATION), "bind": word(["1", "2", "https"]), "bad": word(["500", "503"]),
    "reason": word(REASONS), "which": word(["Current", "Former"]),
    "exit": word(["Exit", "Segmentation fault", "Killed"])})
