"""Random variable values for the labelled log generators: addresses, ids, paths, words."""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Callable

Value = Callable[[random.Random], str]

USERS = ["root", "alice", "bob", "carol", "deploy", "hdfs", "yarn", "spark", "www-data", "nagios",
         "backup", "jenkins", "oracle", "postgres", "admin", "guest"]
HOST_WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "gateway", "primary",
              "replica", "edge", "storage", "compute", "frontend", "backend"]
IO_ERRORS = ["Connection reset by peer", "Broken pipe", "Could not read from stream",
             "Premature EOF from inputStream", "Interrupted while waiting for IO on channel",
             "No space left on device", "Stream closed", "Connection timed out",
             "Input/output error", "Too many open files"]
DOMAINS = ["example.com", "example.org", "example.net", "corp.example.com", "cluster.local"]
PATH_DIRS = ["/var/lib/app", "/srv/www/htdocs", "/var/www/html", "/opt/service/data",
             "/home/deploy/releases", "/data/hadoop/dfs", "/tmp", "/var/cache/app/tiles",
             "/mnt/disk1/spark", "/usr/share/nginx/html/assets"]
FILE_WORDS = ["index", "config", "report", "image", "upload", "archive", "session", "backup",
              "style", "main", "favicon", "robots", "sitemap", "wp-login", "admin"]
EXTENSIONS = [".php", ".html", ".js", ".css", ".png", ".jpg", ".txt", ".xml", ".json", ".gz"]
URL_WORDS = ["api", "v1", "v2", "users", "items", "orders", "search", "static", "images",
             "login", "cart", "checkout", "status", "health", "metrics"]


def ip(rng: random.Random) -> str:
    """An IPv4 address in documentation and private ranges."""
    first = rng.choice(["10", "172.16", "192.168", "198.51.100", "203.0.113"])
    parts = first.split(".")
    while len(parts) < 4:
        parts.append(str(rng.randint(0, 254) if len(parts) < 3 else rng.randint(1, 254)))
    return ".".join(parts)


def ip6(rng: random.Random) -> str:
    """A compressed IPv6 address in the documentation range."""
    return f"2001:db8:{rng.randint(0, 0xffff):x}::{rng.randint(1, 0xffff):x}"


def port(rng: random.Random) -> str:
    """A port: a well-known one or an ephemeral one."""
    if rng.random() < 0.3:
        return str(rng.choice([22, 80, 443, 2181, 3888, 8020, 8030, 8080, 50010, 50020]))
    return str(rng.randint(1024, 65535))


def ipport(rng: random.Random) -> str:
    """ip:port, now and then an IPv6 address in brackets."""
    if rng.random() < 0.05:
        return f"[{ip6(rng)}]:{port(rng)}"
    return f"{ip(rng)}:{port(rng)}"


def small(rng: random.Random) -> str:
    """A small integer."""
    return str(rng.randint(0, 20))


def num(rng: random.Random) -> str:
    """An integer of a few digits."""
    return str(int(rng.expovariate(1 / 3000)))


def size(rng: random.Random) -> str:
    """A size in bytes."""
    return str(rng.choice([67108864, 134217728]) if rng.random() < 0.4 else rng.randint(1, 9 ** 8))


def flt(rng: random.Random) -> str:
    """A decimal number."""
    return f"{rng.expovariate(1 / 3):.{rng.choice([1, 2, 3, 7])}f}"


def hexid(rng: random.Random) -> str:
    """A 0x-prefixed hexadecimal id."""
    return f"0x{rng.getrandbits(rng.choice([16, 32, 48, 60])):x}"


def hex32(rng: random.Random) -> str:
    """32 hex digits."""
    return f"{rng.getrandbits(128):032x}"


def uid(rng: random.Random) -> str:
    """A UUID, deterministic for the generator's seed."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def blk(rng: random.Random) -> str:
    """An HDFS block id."""
    return f"blk_{rng.choice(['', '-'])}{rng.getrandbits(62)}"


def user(rng: random.Random) -> str:
    """A user name."""
    return rng.choice(USERS)


def host(rng: random.Random) -> str:
    """A host name with digits."""
    return rng.choice([f"node-{rng.randint(1, 64)}", f"worker{rng.randint(1, 40)}",
                       f"dn{rng.randint(1, 30):02d}.{rng.choice(DOMAINS)}"])


def hostword(rng: random.Random) -> str:
    """A host name made of words only."""
    return rng.choice(HOST_WORDS) + rng.choice(["", "." + rng.choice(DOMAINS)])


def fqdn(rng: random.Random) -> str:
    """A fully qualified domain name."""
    return f"{rng.choice(['www', 'api', 'shop', 'mail', 'static'])}.{rng.choice(DOMAINS)}"


def path(rng: random.Random) -> str:
    """An absolute file path."""
    name = rng.choice(FILE_WORDS) + (str(rng.randint(1, 99)) if rng.random() < 0.3 else "")
    return f"{rng.choice(PATH_DIRS)}/{name}{rng.choice(EXTENSIONS)}"


def dirpath(rng: random.Random) -> str:
    """An absolute directory path."""
    return f"{rng.choice(PATH_DIRS)}/{rng.choice(FILE_WORDS)}"


def urlpath(rng: random.Random) -> str:
    """A URL path, sometimes with a query."""
    parts = [rng.choice(URL_WORDS) for _ in range(rng.randint(1, 4))]
    if rng.random() < 0.4:
        parts.append(str(rng.randint(1, 99999)))
    query = f"?page={rng.randint(1, 9)}" if rng.random() < 0.2 else ""
    return "/" + "/".join(parts) + query


def url(rng: random.Random) -> str:
    """A full URL."""
    return f"https://{fqdn(rng)}{urlpath(rng)}"


def ioerr(rng: random.Random) -> str:
    """An I/O error text of one to seven words."""
    return rng.choice(IO_ERRORS)


def word(choices: list[str]) -> Value:
    """A value drawn from a fixed list."""
    return lambda rng: rng.choice(choices)


def token(rng: random.Random, n: int = 8) -> str:
    """Random letters and digits."""
    return "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(n))


COMMON: dict[str, Value] = {
    "ip": ip, "ip6": ip6, "port": port, "ipport": ipport, "small": small, "num": num,
    "size": size, "float": flt, "hexid": hexid, "hex32": hex32, "uuid": uid, "blk": blk,
    "user": user, "host": host, "hostword": hostword, "fqdn": fqdn, "path": path,
    "dir": dirpath, "urlpath": urlpath, "url": url, "ioerr": ioerr, "token": token,
}
