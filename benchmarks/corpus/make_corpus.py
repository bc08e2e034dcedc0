"""Generate benchmarks/corpus/mixed.log: a seeded, realistic mixed syslog stream of a Linux shop.

    python -m benchmarks.corpus.make_corpus [--seed 20240311] [--lines 4200] [--out FILE]

Every line is written here from what the products log in practice (their documentation and
ordinary production logs): values, hosts, users and orderings are generated, nothing is taken
from statusd's own service examples or from public log collections. The mix is heavy on sshd,
PAM, sudo, cron, systemd, the kernel, postfix, nginx and apache; lighter on the other daemons and
the network and Windows sources; about 6.5% is application chatter no service definition should
know, and about 1.5% is system daemons the library does not cover, so the coverage figure measured
on it is honest.

Headers: mostly RFC 3164 (with and without <PRI>), some RFC 5424, some rsyslog ISO-timestamp
lines (RSYSLOG_FileFormat), and the devices' own formats (Cisco, FortiGate, Juniper, Snare).
The output is deterministic for a given seed; the composition is printed to stdout.
"""
# Log line templates are kept whole, one per line, so they read like the lines they produce.
# ruff: noqa: E501

from __future__ import annotations

import argparse
import base64
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).with_name("mixed.log")
START = datetime(2024, 3, 11, 0, 0, 0, tzinfo=UTC)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

STAFF = {"alice": 1001, "bmiller": 1002, "cwong": 1003, "deploy": 1100, "jenkins": 1101,
         "ansible": 1102, "priya.s": 1004, "tkowalski": 1005, "mhernandez": 1006,
         "backup": 1200, "olga": 1007, "r.dubois": 1008}
PROBED = ["admin", "test", "oracle", "ubuntu", "user", "postgres", "git", "ftpuser", "support",
          "guest", "pi", "hadoop", "minecraft", "steam", "es", "test1", "administrator", "dev",
          "www", "ts3", "debian", "centos", "ec2-user", "nagios", "zabbix", "jira", "tomcat",
          "ubnt", "sysadmin", "mysql", "odoo", "solana", "sol", "validator", "default"]
MAIL_USERS = ["alice@corp-mail.net", "sales@corp-mail.net", "b.miller@corp-mail.net",
              "helpdesk@corp-mail.net", "noreply@corp-mail.net", "olga@corp-mail.net"]
REMOTE_DOMAINS = ["gmail.com", "outlook.com", "yahoo.co.uk", "mailbox.org", "web.de",
                  "fastmail.com", "acme-supplies.com", "nordlogistik.de", "univ-lyon2.fr"]


class Ctx:
    """Random state and the pools the generators share."""

    def __init__(self, seed: int):
        self.r = random.Random(seed)
        r = self.r
        self.bad_ips = [self.public_ip() for _ in range(45)]
        self.good_ips = [self.public_ip() for _ in range(12)]  # staff at home, partners
        self.lan = [f"10.20.{r.randint(1, 9)}.{r.randint(10, 250)}" for _ in range(40)]
        self.v6 = [f"2a01:4f8:{r.randint(0x100, 0xfff):x}:{r.randint(1, 0xffff):x}::"
                   f"{r.randint(2, 0xff):x}" for _ in range(4)]
        self.session = r.randint(300, 900)
        self.queue_ids: list[str] = []
        self.now = START

    def public_ip(self) -> str:
        r = self.r
        while True:
            a = r.choice([5, 23, 31, 36, 37, 45, 46, 58, 61, 62, 77, 78, 80, 81, 85, 89, 91, 92,
                          94, 101, 103, 106, 109, 112, 113, 114, 116, 117, 118, 119, 121, 122,
                          125, 138, 139, 141, 144, 147, 152, 157, 159, 161, 162, 165, 167, 170,
                          171, 175, 176, 178, 180, 181, 182, 183, 185, 186, 187, 188, 189, 190,
                          193, 194, 195, 196, 197, 201, 202, 206, 209, 210, 211, 212, 213, 217,
                          218, 219, 220, 221, 222, 223])
            ip = f"{a}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"
            if not ip.startswith(("10.", "192.168.", "172.")):
                return ip

    def port(self) -> int:
        return self.r.randint(1025, 65535)

    def pid(self) -> int:
        return self.r.randint(300, 4_190_000)

    def staff(self) -> str:
        return self.r.choice(list(STAFF))

    def qid(self) -> str:
        q = "".join(self.r.choice("0123456789ABCDEF") for _ in range(self.r.choice([9, 10, 11])))
        self.queue_ids.append(q)
        return q

    def fp(self) -> str:
        raw = bytes(self.r.getrandbits(8) for _ in range(32))
        return "SHA256:" + base64.b64encode(raw).decode().rstrip("=")

    def hexid(self, n: int) -> str:
        return "".join(self.r.choice("0123456789abcdef") for _ in range(n))

    def mac(self) -> str:
        r = self.r
        return ":".join(f"{x:02x}" for x in [r.choice([0x00, 0x3c, 0x84, 0xa4, 0xdc, 0xf0]),
                                             *[r.randint(0, 255) for _ in range(5)]])


# A generator returns a list of events; an event is (host, program, pid, message, pri) for a
# host line, or ("RAW", text) for a device line that carries its own header.
Event = tuple
Gen = Callable[[Ctx], list[Event]]

LINUX_HOSTS = ["web01", "web02", "app01", "db01", "db02", "cache01", "mail01", "ns1", "dhcp01",
               "vpn01", "bastion01", "files01", "mon01", "k8s-node01", "k8s-node02", "k8s-node03",
               "lb01", "build01"]


def H(c: Ctx, *hosts: str) -> str:
    return c.r.choice(hosts or LINUX_HOSTS)


# ----------------------------------------------------------------------------------------- sshd
def g_ssh_login(c: Ctx) -> list[Event]:
    r = c.r
    host = H(c, "bastion01", "web01", "web02", "app01", "db01", "build01", "files01", "mon01")
    user = c.staff()
    uid = STAFF[user]
    ip = r.choice(c.lan + c.good_ips + c.v6[:1])
    port = c.port()
    sp, lp, sysd = c.pid(), c.pid(), 1
    c.session += r.randint(1, 7)
    n = c.session
    how = r.random()
    if how < 0.6:
        kind = r.choice(["ED25519", "ED25519", "RSA", "ECDSA"])
        acc = f"Accepted publickey for {user} from {ip} port {port} ssh2: {kind} {c.fp()}"
    elif how < 0.9:
        acc = f"Accepted password for {user} from {ip} port {port} ssh2"
    else:
        acc = f"Accepted keyboard-interactive/pam for {user} from {ip} port {port} ssh2"
    new_pam = r.random() < 0.7
    opened = (f"pam_unix(sshd:session): session opened for user {user}(uid={uid}) by (uid=0)"
              if new_pam else f"pam_unix(sshd:session): session opened for user {user} by (uid=0)")
    ev: list[Event] = []
    if r.random() < 0.25:
        ev.append((host, "sshd", sp, f"Connection from {ip} port {port} on 10.20.0.{r.randint(2, 60)}"
                   f" port 22 rdomain \"\"", 38))
    ev += [
        (host, "sshd", sp, acc, 38),
        (host, "sshd", sp, opened, 38),
        (host, "systemd-logind", lp, f"New session {n} of user {user}.", 38),
    ]
    if r.random() < 0.5:
        ev.append((host, "systemd", sysd, f"Started session-{n}.scope - Session {n} of User {user}.", 30))
    else:
        ev.append((host, "systemd", sysd, f"Started Session {n} of User {user}.", 30))
    if r.random() < 0.7:
        if r.random() < 0.5:
            ev.append((host, "sshd", sp, f"Received disconnect from {ip} port {port}:11: disconnected by user", 38))
        ev += [
            (host, "sshd", sp, f"Disconnected from user {user} {ip} port {port}", 38),
            (host, "sshd", sp, f"pam_unix(sshd:session): session closed for user {user}", 38),
            (host, "systemd-logind", lp, f"Session {n} logged out. Waiting for processes to exit.", 38),
            (host, "systemd-logind", lp, f"Removed session {n}.", 38),
        ]
        if r.random() < 0.5:
            ev.append((host, "systemd", sysd, f"session-{n}.scope: Deactivated successfully.", 30))
    return ev


def g_ssh_attack(c: Ctx) -> list[Event]:
    r = c.r
    host = H(c, "bastion01", "bastion01", "web01", "web02", "mail01", "vpn01", "files01")
    ip = r.choice(c.bad_ips)
    sp = c.pid()
    port = c.port()
    shape = r.random()
    ev: list[Event] = []
    if shape < 0.35:
        u = r.choice(PROBED)
        ev += [(host, "sshd", sp, f"Invalid user {u} from {ip} port {port}", 38)]
        if r.random() < 0.6:
            ev += [(host, "sshd", sp, "pam_unix(sshd:auth): check pass; user unknown", 38),
                   (host, "sshd", sp, "pam_unix(sshd:auth): authentication failure; logname= uid=0 "
                    f"euid=0 tty=ssh ruser= rhost={ip}", 37)]
        ev += [(host, "sshd", sp, f"Failed password for invalid user {u} from {ip} port {port} ssh2", 38)]
        end = r.random()
        if end < 0.5:
            ev += [(host, "sshd", sp, f"Received disconnect from {ip} port {port}:11: Bye Bye [preauth]", 38),
                   (host, "sshd", sp, f"Disconnected from invalid user {u} {ip} port {port} [preauth]", 38)]
        elif end < 0.8:
            ev += [(host, "sshd", sp, f"Connection closed by invalid user {u} {ip} port {port} [preauth]", 38)]
        else:
            ev += [(host, "sshd", sp, f"Connection reset by invalid user {u} {ip} port {port} [preauth]", 38)]
    elif shape < 0.6:
        tries = r.randint(2, 6)
        ev += [(host, "sshd", sp, "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
                f"tty=ssh ruser= rhost={ip}  user=root", 37)]
        for _ in range(tries):
            ev.append((host, "sshd", sp, f"Failed password for root from {ip} port {port} ssh2", 38))
        if tries >= 6:
            ev += [(host, "sshd", sp, f"error: maximum authentication attempts exceeded for root from {ip} "
                    f"port {port} ssh2 [preauth]", 35),
                   (host, "sshd", sp, f"Disconnecting authenticating user root {ip} port {port}: Too many "
                    "authentication failures [preauth]", 38),
                   (host, "sshd", sp, "PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh "
                    f"ruser= rhost={ip}  user=root", 37)]
        else:
            ev += [(host, "sshd", sp, f"Connection closed by authenticating user root {ip} port {port} "
                    "[preauth]", 38)]
    elif shape < 0.68:
        ev += [(host, "sshd", sp, f"Connection closed by {ip} port {port} [preauth]", 38)]
    elif shape < 0.74:
        ev += [(host, "sshd", sp, r.choice([
            "error: kex_exchange_identification: Connection closed by remote host",
            "error: kex_exchange_identification: read: Connection reset by peer",
            "error: kex_exchange_identification: banner line contains invalid characters"]), 35),
            (host, "sshd", sp, f"Connection closed by {ip} port {port}", 38)]
    elif shape < 0.78:
        ev += [(host, "sshd", sp, f"banner exchange: Connection from {ip} port {port}: invalid format", 38)]
    elif shape < 0.82:
        offer = r.choice(["diffie-hellman-group1-sha1,diffie-hellman-group14-sha1",
                          "diffie-hellman-group-exchange-sha1,diffie-hellman-group1-sha1"])
        ev += [(host, "sshd", sp, f"Unable to negotiate with {ip} port {port}: no matching key exchange "
                f"method found. Their offer: {offer} [preauth]", 38)]
    elif shape < 0.86:
        ev += [(host, "sshd", sp, f"Timeout before authentication for {ip} port {port}", 38)]
    elif shape < 0.89:
        u = r.choice(["root", "bmiller", "git"])
        ev += [(host, "sshd", sp, f"User {u} from {ip} not allowed because not listed in AllowUsers", 38),
               (host, "sshd", sp, f"Failed password for {u} from {ip} port {port} ssh2", 38)]
    elif shape < 0.92:
        u = c.staff()
        ev += [(host, "sshd", sp, f"Failed publickey for {u} from {ip} port {port} ssh2: RSA {c.fp()}", 38)]
    elif shape < 0.95:
        u = r.choice(PROBED)
        ev += [(host, "sshd", sp, f"Invalid user {u} from {ip} port {port}", 38),
               (host, "sshd", sp, f"Failed none for invalid user {u} from {ip} port {port} ssh2", 38),
               (host, "sshd", sp, f"Connection closed by invalid user {u} {ip} port {port} [preauth]", 38)]
    elif shape < 0.97:
        ev += [(host, "sshd", sp, f"Connection reset by {ip} port {port} [preauth]", 38)]
    else:
        ev += [(host, "sshd", sp, f"Did not receive identification string from {ip} port {port}", 38)]
    return ev


def g_ssh_misc(c: Ctx) -> list[Event]:
    r = c.r
    host = H(c)
    sp = c.pid()
    x = r.random()
    if x < 0.3:
        return [(host, "sshd", sp, "Received signal 15; terminating.", 38),
                (host, "sshd", c.pid(), "Server listening on 0.0.0.0 port 22.", 38),
                (host, "sshd", sp + 1, "Server listening on :: port 22.", 38)]
    if x < 0.45:
        return [(host, "sshd", sp, "Received SIGHUP; restarting.", 38)]
    if x < 0.7:
        ip = r.choice(c.bad_ips)
        return [(host, "sshd", sp, f"reverse mapping checking getaddrinfo for "
                 f"{r.choice(['static', 'host', 'ip'])}-{ip.replace('.', '-')}.{r.choice(['vnpt.vn', 'ttnet.com.tr', 'chinanet.cn', 'telecom.ru'])}"
                 f" [{ip}] failed.", 38)]
    if x < 0.85:
        user = c.staff()
        ip = r.choice(c.lan)
        return [(host, "sshd", sp, f"error: PAM: Authentication failure for {user} from {ip}", 35)]
    ip = r.choice(c.bad_ips)
    return [(host, "sshd", sp, f"drop connection #{r.randint(0, 9)} from [{ip}]:{c.port()} on "
             f"[10.20.0.{r.randint(2, 60)}]:22 past MaxStartups", 38)]


# ---------------------------------------------------------------------------------- sudo / su
SUDO_CMDS = ["/usr/bin/systemctl restart nginx", "/usr/bin/apt update", "/usr/bin/apt-get -y upgrade",
             "/usr/bin/journalctl -u postfix --since today", "/usr/bin/tail -n 200 /var/log/syslog",
             "/usr/bin/docker ps -a", "/usr/sbin/ufw status verbose", "/bin/systemctl reload php8.2-fpm",
             "/usr/bin/vim /etc/nginx/sites-available/shop.conf", "/usr/bin/less /var/log/auth.log",
             "/usr/bin/kubectl get pods -A", "/usr/bin/certbot renew --quiet",
             "/usr/local/bin/deploy.sh --env prod", "/usr/bin/rsync -a /srv/www/ /backup/www/",
             "/bin/bash", "/usr/bin/su -", "/usr/sbin/iptables -L -n -v"]


def g_sudo(c: Ctx) -> list[Event]:
    r = c.r
    host = H(c)
    user = r.choice(["alice", "bmiller", "cwong", "deploy", "ansible", "ansible", "jenkins", "priya.s",
                     "tkowalski"])
    uid = STAFF[user]
    pid = c.pid()
    pwd = r.choice([f"/home/{user}", "/srv/app", "/etc/nginx", "/var/www/shop", "/", "/root"])
    cmd = r.choice(SUDO_CMDS)
    tty = "unknown" if user in ("ansible", "jenkins", "deploy") else f"pts/{r.randint(0, 6)}"
    x = r.random()
    if x < 0.75:
        ev: list[Event] = [(host, "sudo", pid, f"   {user} : TTY={tty} ; PWD={pwd} ; USER=root ; COMMAND={cmd}", 85)]
        ev.append((host, "sudo", pid, f"pam_unix(sudo:session): session opened for user root(uid=0) by "
                   f"{user}(uid={uid})" if r.random() < 0.7 else
                   f"pam_unix(sudo:session): session opened for user root by {user}(uid=0)", 86))
        ev.append((host, "sudo", pid, "pam_unix(sudo:session): session closed for user root", 86))
        return ev
    if x < 0.87:
        return [(host, "sudo", pid, f"pam_unix(sudo:auth): authentication failure; logname={user} uid={uid} "
                 f"euid=0 tty=/dev/{tty} ruser={user} rhost=  user={user}", 85),
                (host, "sudo", pid, f"   {user} : 3 incorrect password attempts ; TTY={tty} ; PWD={pwd} ; "
                 f"USER=root ; COMMAND={cmd}", 81)]
    if x < 0.95:
        u = r.choice(["olga", "r.dubois", "mhernandez"])
        return [(host, "sudo", pid, f"     {u} : user NOT in sudoers ; TTY=pts/{r.randint(0, 4)} ; "
                 f"PWD=/home/{u} ; USER=root ; COMMAND={cmd}", 81)]
    return [(host, "sudo", pid, f"    {user} : command not allowed ; TTY={tty} ; PWD={pwd} ; USER=root ; "
             f"COMMAND=/usr/bin/passwd root", 81)]


def g_su(c: Ctx) -> list[Event]:
    r = c.r
    host = H(c)
    user = r.choice(["cwong", "tkowalski", "olga", "r.dubois"])
    uid = STAFF[user]
    pid = c.pid()
    tty = f"pts/{r.randint(1, 6)}"
    if r.random() < 0.75:
        return [(host, "su", pid, f"(to root) {user} on {tty}", 86),
                (host, "su", pid, f"pam_unix(su-l:session): session opened for user root(uid=0) by {user}(uid={uid})", 86),
                (host, "su", pid, "pam_unix(su-l:session): session closed for user root", 86)]
    return [(host, "su", pid, f"pam_unix(su-l:auth): authentication failure; logname={user} uid={uid} euid=0 "
             f"tty=/dev/{tty} ruser={user} rhost=  user=root", 85),
            (host, "su", pid, f"FAILED SU (to root) {user} on {tty}", 84)]


def g_pam_misc(c: Ctx) -> list[Event]:
    r = c.r
    host = H(c)
    x = r.random()
    user = c.staff()
    uid = STAFF[user]
    if x < 0.45:
        return [(host, "(systemd)", c.pid(), f"pam_unix(systemd-user:session): session opened for user "
                 f"{user}(uid={uid}) by {user}(uid=0)", 86)]
    if x < 0.6:
        ip = r.choice(c.lan)
        return [(host, "sshd", c.pid(), f"pam_sss(sshd:auth): authentication failure; logname= uid=0 euid=0 "
                 f"tty=ssh ruser= rhost={ip} user={user}", 37),
                (host, "sshd", c.pid(), f"pam_sss(sshd:auth): received for user {user}: 7 (Authentication failure)", 37)]
    if x < 0.72:
        user = r.choice(["bmiller", "priya.s", "mhernandez", "r.dubois"])
        return [(host, "sshd", c.pid(), f"pam_faillock(sshd:auth): Consecutive login failures for user {user} "
                 "account temporarily locked", 37)]
    if x < 0.86:
        return [(host, "login", c.pid(), "pam_unix(login:session): session opened for user root(uid=0) by LOGIN(uid=0)", 86),
                (host, "login", c.pid(), f"ROOT LOGIN  on '/dev/{r.choice(['tty2', 'ttyS0', 'tty3'])}'", 85)]
    return [(host, "passwd", c.pid(), f"pam_unix(passwd:chauthtok): password changed for {user}", 86)]


# ----------------------------------------------------------------------------------------- cron
def g_cron(c: Ctx) -> list[Event]:
    r = c.r
    host = H(c)
    pid = c.pid()
    rhel = host in ("db02", "cache01", "mon01", "files01")
    prog = "CROND" if rhel else "CRON"
    job = r.choice([
        ("root", "   cd / && run-parts --report /etc/cron.hourly"),
        ("root", "command -v debian-sa1 > /dev/null && debian-sa1 1 1"),
        ("root", "[ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; then /usr/lib/php/sessionclean; fi"),
        ("www-data", "php -f /var/www/nextcloud/cron.php"),
        ("root", "/usr/local/sbin/backup-etc.sh >/dev/null 2>&1"),
        ("postgres", "/usr/local/bin/pg_backup.sh nightly"),
        ("root", "test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }"),
        ("deploy", "cd /srv/app && ./bin/console messenger:consume async --limit=50"),
        ("root", "run-parts /etc/cron.hourly"),
        ("nagios", "/usr/lib/nagios/plugins/check_mailq -w 50 -c 200 > /dev/null"),
    ])
    user, cmd = job
    uid = 0 if user == "root" else {"www-data": 33, "postgres": 113, "deploy": 1100, "nagios": 116}[user]
    ev: list[Event] = []
    new_pam = r.random() < 0.7
    ev.append((host, prog, pid, f"pam_unix(cron:session): session opened for user {user}(uid={uid}) by (uid=0)"
               if new_pam else f"pam_unix(cron:session): session opened for user {user} by (uid=0)", 86))
    ev.append((host, prog, pid, f"({user}) CMD ({cmd})", 78))
    if r.random() < 0.15:
        ev.append((host, prog, pid, "(CRON) info (No MTA installed, discarding output)", 75))
    ev.append((host, prog, pid, f"pam_unix(cron:session): session closed for user {user}", 86))
    return ev


def g_cron_misc(c: Ctx) -> list[Event]:
    r = c.r
    host = H(c)
    x = r.random()
    if x < 0.3:
        u = c.staff()
        p = c.pid()
        return [(host, "crontab", p, f"({u}) BEGIN EDIT ({u})", 78),
                (host, "crontab", p, f"({u}) REPLACE ({u})", 78),
                (host, "crontab", p, f"({u}) END EDIT ({u})", 78),
                (host, "cron", r.randint(500, 900), f"({u}) RELOAD (crontabs/{u})", 78)]
    if x < 0.7:
        job = r.choice(["cron.daily", "cron.weekly", "cron.monthly"])
        p = c.pid()
        return [(host, "anacron", p, f"Anacron 2.3 started on {c.now:%Y-%m-%d}", 78),
                (host, "anacron", p, f"Will run job `{job}' in {r.randint(5, 45)} min.", 78),
                (host, "anacron", p, "Jobs will be executed sequentially", 78),
                (host, "anacron", p, f"Job `{job}' started", 78),
                (host, "anacron", p, f"Job `{job}' terminated", 78),
                (host, "anacron", p, "Normal exit (1 job run)", 78)]
    return [(host, "cron", r.randint(500, 900), "(*system*) RELOAD (/etc/crontab)", 78)]


# -------------------------------------------------------------------------------------- systemd
UNITS = [("apt-daily.service", "Daily apt download activities"),
         ("apt-daily-upgrade.service", "Daily apt upgrade and clean activities"),
         ("logrotate.service", "Rotate log files"),
         ("man-db.service", "Daily man-db regeneration"),
         ("phpsessionclean.service", "Clean php session files"),
         ("systemd-tmpfiles-clean.service", "Cleanup of Temporary Directories"),
         ("certbot.service", "Certbot"),
         ("fstrim.service", "Discard unused blocks on filesystems from /etc/fstab"),
         ("sysstat-collect.service", "system activity accounting tool"),
         ("motd-news.service", "Message of the Day"),
         ("dpkg-db-backup.service", "Daily dpkg database backup service"),
         ("e2scrub_all.service", "Online ext4 Metadata Check for All Filesystems")]
SERVICES = [("nginx.service", "A high performance web server and a reverse proxy server"),
            ("php8.2-fpm.service", "The PHP 8.2 FastCGI Process Manager"),
            ("postfix@-.service", "Postfix Mail Transport Agent (instance -)"),
            ("docker.service", "Docker Application Container Engine"),
            ("app-worker.service", "Shop background worker"),
            ("node-exporter.service", "Prometheus exporter for machine metrics"),
            ("redis-server.service", "Advanced key-value store"),
            ("gunicorn.service", "gunicorn daemon for inventory API")]


def g_systemd(c: Ctx) -> list[Event]:
    r = c.r
    host = H(c)
    x = r.random()
    if x < 0.55:
        unit, desc = r.choice(UNITS)
        new = r.random() < 0.6
        name = f"{unit} - {desc}" if new else desc
        ev: list[Event] = [(host, "systemd", 1, f"Starting {name}...", 30)]
        ev.append((host, "systemd", 1, f"{unit}: Deactivated successfully.", 30))
        ev.append((host, "systemd", 1, f"Finished {name}." if r.random() < 0.8 else f"Started {name}.", 30))
        if r.random() < 0.4:
            ev.append((host, "systemd", 1, f"{unit}: Consumed {r.uniform(0.02, 9):.3f}s CPU time.", 30))
        return ev
    if x < 0.7:
        unit, desc = r.choice(SERVICES)
        code = r.choice([("exited", "1/FAILURE"), ("killed", "9/KILL"), ("exited", "203/EXEC"),
                         ("dumped", "11/SEGV")])
        res = {"exited": "exit-code", "killed": "signal", "dumped": "core-dump"}[code[0]]
        ev = [(host, "systemd", 1, f"{unit}: Main process exited, code={code[0]}, status={code[1]}", 27),
              (host, "systemd", 1, f"{unit}: Failed with result '{res}'.", 28)]
        if r.random() < 0.6:
            ev += [(host, "systemd", 1, f"{unit}: Scheduled restart job, restart counter is at {r.randint(1, 5)}.", 30),
                   (host, "systemd", 1, f"Stopped {unit} - {desc}.", 30),
                   (host, "systemd", 1, f"Started {unit} - {desc}.", 30)]
        else:
            ev.append((host, "systemd", 1, f"Failed to start {unit} - {desc}.", 27))
        return ev
    if x < 0.8:
        unit, desc = r.choice(SERVICES)
        return [(host, "systemd", 1, f"Reloading {desc}...", 30),
                (host, "systemd", 1, f"Reloaded {desc}.", 30)]
    if x < 0.87:
        return [(host, "systemd", 1, "Reloading.", 30),
                (host, "systemd", 1, "Reloading requested from client PID "
                 f"{c.pid()} ('systemctl') (unit session-{c.session}.scope)...", 30)]
    if x < 0.94:
        user = c.staff()
        uid = STAFF[user]
        return [(host, "systemd", 1, f"Created slice user-{uid}.slice - User Slice of UID {uid}.", 30),
                (host, "systemd", 1, f"Starting user-runtime-dir@{uid}.service - User Runtime Directory "
                 f"/run/user/{uid}...", 30),
                (host, "systemd", 1, f"Finished user-runtime-dir@{uid}.service - User Runtime Directory "
                 f"/run/user/{uid}.", 30),
                (host, "systemd", 1, f"Starting user@{uid}.service - User Manager for UID {uid}...", 30),
                (host, "systemd", 1, f"Started user@{uid}.service - User Manager for UID {uid}.", 30)]
    return [(host, "systemd", 1, r.choice(["Reached target timers.target - Timer Units.",
                                           "Reached target multi-user.target - Multi-User System.",
                                           "Started anacron.service - Run anacron jobs."]), 30)]


def g_systemd_family(c: Ctx) -> list[Event]:
    """systemd's own helper daemons (journald, timesyncd, networkd, resolved)."""
    r = c.r
    host = H(c)
    x = r.random()
    if x < 0.3:
        srv = r.choice(["10.20.0.5", "10.20.0.6"])
        return [(host, "systemd-timesyncd", r.randint(400, 700),
                 f"Initial synchronization to time server {srv}:123 (ntp.corp.internal).", 30)]
    if x < 0.45:
        srv = r.choice(["10.20.0.5", "10.20.0.6"])
        return [(host, "systemd-timesyncd", r.randint(400, 700),
                 f"Timed out waiting for reply from {srv}:123 (ntp.corp.internal).", 30)]
    if x < 0.65:
        ifc = r.choice(["eth0", "ens18", "enp3s0"])
        return [(host, "systemd-networkd", r.randint(300, 600), f"{ifc}: Lost carrier", 30),
                (host, "systemd-networkd", r.randint(300, 600), f"{ifc}: Gained carrier", 30)]
    if x < 0.8:
        return [(host, "systemd-resolved", r.randint(300, 600), "Using degraded feature set UDP instead of "
                 "UDP+EDNS0 for DNS server 10.20.0.53.", 30)]
    return [(host, "systemd-journald", r.randint(200, 400),
             f"Data hash table of /var/log/journal/{c.hexid(32)}/system.journal has a fill level at "
             f"75.{r.randint(0, 9)} (8534 of 11377 items, 6553600 file size, 767 bytes per hash table item), "
             "suggesting rotation.", 30)]


# --------------------------------------------------------------------------------------- kernel
def ktime(c: Ctx) -> str:
    return f"[{c.r.uniform(1000, 2_500_000):.6f}] " if c.r.random() < 0.35 else ""


def g_kernel_fw(c: Ctx) -> list[Event]:
    r = c.r
    host = H(c, "web01", "web02", "bastion01", "mail01", "vpn01", "app01", "ns1")
    src = r.choice([*c.bad_ips, c.public_ip()])
    dst = f"10.20.0.{r.randint(2, 60)}"
    proto = r.choice(["TCP", "TCP", "TCP", "UDP"])
    dpt = r.choice([22, 23, 445, 3389, 8080, 5900, 1433, 3306, 6379, 8443, 2375, 5060, 123, 161])
    mac = f"{c.mac()}:{c.mac()}:08:00"
    ttl = r.randint(40, 250)
    ident = r.randint(1, 65535)
    if proto == "TCP":
        tail = (f"PROTO=TCP SPT={c.port()} DPT={dpt} WINDOW={r.choice([1024, 65535, 14600, 29200])} "
                f"RES=0x00 SYN URGP=0")
    else:
        tail = f"PROTO=UDP SPT={c.port()} DPT={dpt} LEN={r.randint(8, 120)}"
    prefix = r.choice(["[UFW BLOCK] ", "[UFW BLOCK] ", "iptables-drop: ", "nft-in-drop: ", "[UFW AUDIT] "])
    body = (f"IN=eth0 OUT= MAC={mac} SRC={src} DST={dst} LEN={r.randint(40, 80)} TOS=0x00 PREC=0x00 "
            f"TTL={ttl} ID={ident} {'DF ' if r.random() < 0.4 else ''}{tail}")
    return [(host, "kernel", None, f"{ktime(c)}{prefix}{body}", 4)]


def g_kernel(c: Ctx) -> list[Event]:
    r = c.r
    host = H(c)
    x = r.random()
    k = ktime(c)
    if x < 0.12:
        proc = r.choice(["php-fpm8.2", "node", "python3", "convert", "java"])
        pid = c.pid()
        return [(host, "kernel", None, f"{k}{proc}[{pid}]: segfault at {r.randint(0, 0xffff):x} ip "
                 f"0000{c.hexid(12)} sp 00007ff{c.hexid(9)} error {r.choice([4, 6, 14])} in "
                 f"{r.choice(['libc.so.6', 'libphp.so', 'libvips.so.42.14.2'])}[{c.hexid(12)}+{r.randint(0x1000, 0x1ff000):x}] "
                 f"likely on CPU {r.randint(0, 7)} (core {r.randint(0, 3)}, socket 0)", 6)]
    if x < 0.2:
        proc = r.choice(["java", "mysqld", "node", "python3"])
        pid = c.pid()
        return [(host, "kernel", None, f"{k}{proc} invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), "
                 "order=0, oom_score_adj=0", 4),
                (host, "kernel", None, f"{k}Out of memory: Killed process {pid} ({proc}) total-vm:{r.randint(10**6, 9 * 10**6)}kB, "
                 f"anon-rss:{r.randint(10**6, 4 * 10**6)}kB, file-rss:0kB, shmem-rss:0kB, UID:{r.choice([0, 33, 999, 1100])} "
                 f"pgtables:{r.randint(2000, 9000)}kB oom_score_adj:0", 3)]
    if x < 0.32:
        ifc = r.choice(["eth0", "eno1", "enp3s0", "ens18"])
        drv = r.choice(["e1000e", "igb", "ixgbe", "r8169 0000:03:00.0"])
        return [(host, "kernel", None, f"{k}{drv} {ifc}: NIC Link is Down" if "r8169" not in drv
                 else f"{k}{drv} {ifc}: Link is Down", 6),
                (host, "kernel", None, f"{k}{drv} {ifc}: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx"
                 if "r8169" not in drv else f"{k}{drv} {ifc}: Link is Up - 1Gbps/Full - flow control rx/tx", 6)]
    if x < 0.4:
        return [(host, "kernel", None, f"{k}TCP: request_sock_TCP: Possible SYN flooding on port "
                 f"{r.choice([80, 443, 25])}. Sending cookies.  Check SNMP counters.", 4)]
    if x < 0.46:
        return [(host, "kernel", None, f"{k}nf_conntrack: nf_conntrack: table full, dropping packet", 4)]
    if x < 0.55:
        dev = r.choice(["sda", "sdb", "nvme0n1"])
        return [(host, "kernel", None, f"{k}EXT4-fs ({dev}1): mounted filesystem "
                 f"{c.hexid(8)}-{c.hexid(4)}-{c.hexid(4)}-{c.hexid(4)}-{c.hexid(12)} r/w with ordered data mode. Quota mode: none.", 6)]
    if x < 0.62:
        dev = r.choice(["sdb", "sdc"])
        sector = r.randint(10**6, 10**9)
        return [(host, "kernel", None, f"{k}blk_update_request: I/O error, dev {dev}, sector {sector} op 0x0:(READ) "
                 "flags 0x80700 phys_seg 1 prio class 0", 3),
                (host, "kernel", None, f"{k}Buffer I/O error on dev {dev}1, logical block {sector // 8}, async page read", 3)]
    if x < 0.68:
        veth = "veth" + c.hexid(7)
        n = r.randint(1, 9)
        br = r.choice(["docker0", "br-" + c.hexid(12), "cni0"])
        return [(host, "kernel", None, f"{k}{br}: port {n}({veth}) entered blocking state", 6),
                (host, "kernel", None, f"{k}{br}: port {n}({veth}) entered disabled state", 6),
                (host, "kernel", None, f"{k}device {veth} entered promiscuous mode", 6),
                (host, "kernel", None, f"{k}{br}: port {n}({veth}) entered blocking state", 6),
                (host, "kernel", None, f"{k}{br}: port {n}({veth}) entered forwarding state", 6)]
    if x < 0.74:
        return [(host, "kernel", None, f"{k}audit: type=1400 audit({r.randint(1710115200, 1710201600)}.{r.randint(100, 999)}:"
                 f"{r.randint(100, 9999)}): apparmor=\"DENIED\" operation=\"open\" class=\"file\" profile=\"/usr/sbin/named\" "
                 f"name=\"/etc/ssl/private/corp.key\" pid={c.pid()} comm=\"named\" requested_mask=\"r\" denied_mask=\"r\" "
                 "fsuid=110 ouid=0", 5)]
    if x < 0.8:
        return [(host, "kernel", None, f"{k}INFO: task {r.choice(['jbd2/sda1-8', 'kworker/u8:2', 'postgres'])}:"
                 f"{c.pid()} blocked for more than 120 seconds.", 3)]
    if x < 0.86:
        return [(host, "kernel", None, f"{k}usb 1-1.{r.randint(1, 4)}: new high-speed USB device number {r.randint(3, 20)} "
                 "using xhci_hcd", 6)]
    if x < 0.92:
        return [(host, "kernel", None, f"{k}device veth{c.hexid(7)} entered promiscuous mode", 6)]
    return [(host, "kernel", None, f"{k}watchdog: BUG: soft lockup - CPU#{r.randint(0, 7)} stuck for "
             f"{r.randint(22, 60)}s! [{r.choice(['kworker/3:1', 'java', 'qemu-kvm'])}:{c.pid()}]", 2)]


# -------------------------------------------------------------------------------------- postfix
def g_postfix_in(c: Ctx) -> list[Event]:
    r = c.r
    host = "mail01"
    ip = r.choice(c.good_ips + [c.public_ip() for _ in range(3)])
    rdns = r.choice([f"mail-{r.choice(['wr1', 'ej1', 'pf1'])}-f{r.randint(10, 200)}.google.com",
                     f"mail-{r.choice(['db8', 'am6', 'vi1'])}eur0{r.randint(1, 5)}on20{r.randint(10, 99)}.outbound.protection.outlook.com",
                     f"mout-p-{r.randint(100, 300)}.mailbox.org", "unknown", f"mx{r.randint(1, 4)}.acme-supplies.com"])
    sp = c.pid()
    q = c.qid()
    sender = f"{r.choice(['invoices', 'j.doe', 'newsletter', 'no-reply', 'support', 'ops'])}@{r.choice(REMOTE_DOMAINS)}"
    rcpt = r.choice(MAIL_USERS)
    msgid = f"<{c.hexid(16)}@{sender.split('@')[1]}>"
    size = r.randint(1800, 900_000)
    d = [round(r.uniform(0.01, 2), 2) for _ in range(4)]
    ev: list[Event] = [
        (host, "postfix/smtpd", sp, f"connect from {rdns}[{ip}]", 22),
        (host, "postfix/smtpd", sp, f"{q}: client={rdns}[{ip}]", 22),
        (host, "postfix/cleanup", c.pid(), f"{q}: message-id={msgid}", 22),
        (host, "postfix/qmgr", 1203, f"{q}: from=<{sender}>, size={size}, nrcpt=1 (queue active)", 22),
        (host, "postfix/smtpd", sp, f"disconnect from {rdns}[{ip}] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7", 22),
    ]
    if r.random() < 0.5:
        ev.insert(1, (host, "postfix/smtpd", sp, f"Anonymous TLS connection established from {rdns}[{ip}]: TLSv1.3 "
                      "with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature "
                      "RSA-PSS (2048 bits) server-digest SHA256", 22))
    ev += [(host, "postfix/lmtp", c.pid(), f"{q}: to=<{rcpt}>, relay=mail01.corp-mail.net[private/dovecot-lmtp], "
            f"delay={sum(d):.2f}, delays={d[0]}/{d[1]}/{d[2]}/{d[3]}, dsn=2.0.0, status=sent (250 2.0.0 <{rcpt}> "
            f"{c.hexid(6)}{c.hexid(16)} Saved)", 22),
           (host, "postfix/qmgr", 1203, f"{q}: removed", 22)]
    return ev


def g_postfix_out(c: Ctx) -> list[Event]:
    r = c.r
    host = r.choice(["mail01", "mail01", "web01", "app01"])
    q = c.qid()
    ev: list[Event] = []
    if host == "mail01":
        user = r.choice(MAIL_USERS)
        ip = r.choice(c.lan + c.good_ips)
        sp = c.pid()
        ev += [(host, "postfix/submission/smtpd", sp, f"connect from unknown[{ip}]", 22),
               (host, "postfix/submission/smtpd", sp, f"{q}: client=unknown[{ip}], sasl_method=PLAIN, "
                f"sasl_username={user}", 22)]
        sender = user
    else:
        ev += [(host, "postfix/pickup", c.pid(), f"{q}: uid=33 from=<www-data>", 22)]
        sender = f"www-data@{host}.corp-mail.net"
    dom = r.choice(REMOTE_DOMAINS)
    rcpt = f"{r.choice(['k.tanaka', 'orders', 'info', 'hr', 'm.rossi', 'accounts'])}@{dom}"
    ev += [(host, "postfix/cleanup", c.pid(), f"{q}: message-id=<{r.randint(10**11, 10**12)}.{c.hexid(8)}@corp-mail.net>", 22),
           (host, "postfix/qmgr", 1203, f"{q}: from=<{sender}>, size={r.randint(900, 50000)}, nrcpt=1 (queue active)", 22)]
    mx = f"{r.choice(['mx1', 'mx2', 'mail', 'smtp-in'])}.{dom}"
    mxip = c.public_ip()
    d = [round(r.uniform(0.01, 3), 2) for _ in range(4)]
    res = r.random()
    if res < 0.75:
        ev.append((host, "postfix/smtp", c.pid(), f"{q}: to=<{rcpt}>, relay={mx}[{mxip}]:25, delay={sum(d):.1f}, "
                   f"delays={d[0]}/{d[1]}/{d[2]}/{d[3]}, dsn=2.0.0, status=sent (250 2.0.0 OK  "
                   f"{r.randint(1710100000, 1710200000)} {c.hexid(12)} - gsmtp)", 22))
        ev.append((host, "postfix/qmgr", 1203, f"{q}: removed", 22))
    elif res < 0.9:
        ev.append((host, "postfix/smtp", c.pid(), f"{q}: to=<{rcpt}>, relay={mx}[{mxip}]:25, delay={sum(d):.0f}, "
                   f"delays={d[0]}/{d[1]}/{d[2]}/{d[3]}, dsn=4.7.0, status=deferred (host {mx}[{mxip}] said: "
                   "421 4.7.0 Try again later, closing connection. (in reply to MAIL FROM command))", 20))
    else:
        ev.append((host, "postfix/smtp", c.pid(), f"{q}: to=<{rcpt}>, relay={mx}[{mxip}]:25, delay={sum(d):.1f}, "
                   f"delays={d[0]}/{d[1]}/{d[2]}/{d[3]}, dsn=5.1.1, status=bounced (host {mx}[{mxip}] said: "
                   f"550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table "
                   "(in reply to RCPT TO command))", 19))
        q2 = c.qid()
        ev += [(host, "postfix/cleanup", c.pid(), f"{q2}: message-id=<{c.hexid(12)}.{q2}@mail01.corp-mail.net>", 22),
               (host, "postfix/bounce", c.pid(), f"{q}: sender non-delivery notification: {q2}", 22),
               (host, "postfix/qmgr", 1203, f"{q}: removed", 22)]
    return ev


def g_postfix_abuse(c: Ctx) -> list[Event]:
    r = c.r
    host = "mail01"
    ip = r.choice(c.bad_ips)
    sp = c.pid()
    x = r.random()
    ev: list[Event] = [(host, "postfix/smtpd", sp, f"connect from unknown[{ip}]", 22)]
    if x < 0.4:
        mech = r.choice(["LOGIN", "PLAIN"])
        ev.append((host, "postfix/smtpd", sp, f"warning: unknown[{ip}]: SASL {mech} authentication failed: "
                   f"{r.choice(['UGFzc3dvcmQ6', 'authentication failure', ''])}".rstrip(), 20))
        ev.append((host, "postfix/smtpd", sp, f"lost connection after AUTH from unknown[{ip}]", 22))
    elif x < 0.65:
        rcpt = f"{r.choice(['x', 'spam', 'promo'])}{r.randint(1, 99)}@{r.choice(['gmail.com', 'hotmail.com', 'qq.com'])}"
        ev.append((host, "postfix/smtpd", sp, f"NOQUEUE: reject: RCPT from unknown[{ip}]: 454 4.7.1 <{rcpt}>: "
                   f"Relay access denied; from=<{r.choice(PROBED)}@corp-mail.net> to=<{rcpt}> proto=ESMTP "
                   f"helo=<{r.choice(['User', 'WIN-' + c.hexid(8).upper(), 'localhost', ip])}>", 20))
    elif x < 0.85:
        ev.append((host, "postfix/smtpd", sp, f"NOQUEUE: reject: RCPT from unknown[{ip}]: 554 5.7.1 Service unavailable; "
                   f"Client host [{ip}] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/{ip}; "
                   f"from=<{c.hexid(6)}@{r.choice(REMOTE_DOMAINS)}> to=<{r.choice(MAIL_USERS)}> proto=ESMTP "
                   f"helo=<{c.hexid(5)}.com>", 20))
    else:
        ev.append((host, "postfix/smtpd", sp, f"lost connection after CONNECT from unknown[{ip}]", 22))
    ev.append((host, "postfix/smtpd", sp, f"disconnect from unknown[{ip}] ehlo=1 auth=0/1 commands=1/2"
               if x < 0.4 else f"disconnect from unknown[{ip}] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4", 22))
    return ev


def g_postfix_misc(c: Ctx) -> list[Event]:
    r = c.r
    x = r.random()
    ip = r.choice(c.bad_ips)
    if x < 0.4:
        return [("mail01", "postfix/anvil", c.pid(), f"statistics: max connection rate {r.randint(1, 9)}/60s for "
                 f"(smtp:{ip}) at Mar 11 {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}", 22)]
    if x < 0.7:
        return [("mail01", "postfix/smtpd", c.pid(), f"warning: hostname {c.hexid(6)}.static.example-isp.net does "
                 f"not resolve to address {ip}: Name or service not known", 20)]
    if x < 0.85:
        p, port = c.pid(), c.port()
        ev: list[Event] = [("mail01", "postfix/postscreen", p, f"CONNECT from [{ip}]:{port} to [10.20.0.25]:25", 22)]
        if r.random() < 0.5:
            ev += [("mail01", "postfix/postscreen", p, f"PREGREET 11 after 0.{r.randint(10, 99)} from [{ip}]:{port}: EHLO User\\r\\n", 22),
                   ("mail01", "postfix/postscreen", p, f"DNSBL rank {r.randint(2, 6)} for [{ip}]:{port}", 22),
                   ("mail01", "postfix/postscreen", p, f"DISCONNECT [{ip}]:{port}", 22)]
        else:
            ev += [("mail01", "postfix/postscreen", p, f"PASS {r.choice(['NEW', 'OLD'])} [{ip}]:{port}", 22)]
        return ev
    return [("mail01", "postfix/master", 1190, "reload -- version 3.7.10, configuration /etc/postfix", 22)]


# ------------------------------------------------------------------------------- nginx / apache
PATHS = ["/", "/index.html", "/api/v1/orders", "/api/v1/products?page=2", "/static/js/app.3f9c1.js",
         "/static/css/main.css", "/login", "/cart", "/checkout", "/healthz", "/favicon.ico",
         "/images/banner-spring.webp", "/api/v1/search?q=usb+c+hub", "/robots.txt",
         "/sitemap.xml", "/account/orders/10482", "/feed.xml"]
PROBES = ["/wp-login.php", "/.env", "/phpmyadmin/index.php", "/.git/config", "/cgi-bin/luci/;stok=/locale",
          "/boaform/admin/formLogin", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
          "/actuator/gateway/routes", "/owa/auth/logon.aspx", "/HNAP1/", "/solr/admin/info/system"]
AGENTS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
          "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
          "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
          "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
          "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
          "curl/8.5.0", "Go-http-client/1.1", "kube-probe/1.28", "Prometheus/2.49.1",
          "python-requests/2.31.0"]


def httpdate(c: Ctx) -> str:
    t = c.now
    return f"{t.day:02d}/{MONTHS[t.month - 1]}/{t.year}:{t.hour:02d}:{t.minute:02d}:{t.second:02d} +0000"


def access_line(c: Ctx) -> str:
    r = c.r
    probe = r.random() < 0.12
    ip = r.choice(c.bad_ips) if probe else r.choice(c.good_ips + c.lan + [c.public_ip()])
    path = r.choice(PROBES) if probe else r.choice(PATHS)
    method = "POST" if (path in ("/login", "/checkout", "/api/v1/orders") and r.random() < 0.5) else "GET"
    status = (r.choice([404, 404, 403, 400]) if probe else
              r.choices([200, 304, 301, 302, 404, 499, 500, 502, 503, 504],
                        [70, 8, 3, 4, 5, 2, 2, 2, 1, 1])[0])
    size = 0 if status == 304 else r.randint(150, 250_000)
    user = "-" if r.random() < 0.95 else c.staff()
    ref = "-" if r.random() < 0.6 else f"https://shop.corp-mail.net{r.choice(PATHS)}"
    agent = r.choice(AGENTS) if not probe else r.choice(["Mozilla/5.0 zgrab/0.x", "python-requests/2.25.1",
                                                          "Mozilla/5.0 (compatible; CensysInspect/1.1)", "-"])
    proto = r.choice(["HTTP/1.1", "HTTP/2.0", "HTTP/1.1"])
    return f'{ip} - {user} [{httpdate(c)}] "{method} {path} {proto}" {status} {size} "{ref}" "{agent}"'


def g_nginx(c: Ctx) -> list[Event]:
    r = c.r
    host = r.choice(["web01", "web02"])
    x = r.random()
    if x < 0.8:
        line = access_line(c)
        if r.random() < 0.3:  # log_format with request time and upstream time appended
            line += f" {r.uniform(0.001, 1.5):.3f} {r.uniform(0.001, 1.4):.3f}"
        return [(host, "nginx", None, line, 190)]
    t = c.now
    stamp = f"{t.year}/{t.month:02d}/{t.day:02d} {t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    wpid = r.randint(1000, 3000)
    cid = r.randint(10**4, 10**7)
    ip = r.choice(c.good_ips + c.bad_ips + c.lan)
    path = r.choice(PATHS)
    up = f"http://127.0.0.1:{r.choice([8000, 8080, 9000])}{path}"
    srv = r.choice(["shop.corp-mail.net", "api.corp-mail.net"])
    y = r.random()
    if y < 0.3:
        msg = (f"{stamp} [error] {wpid}#{wpid}: *{cid} upstream timed out (110: Connection timed out) while reading "
               f"response header from upstream, client: {ip}, server: {srv}, request: \"GET {path} HTTP/1.1\", "
               f"upstream: \"{up}\", host: \"{srv}\"")
    elif y < 0.5:
        msg = (f"{stamp} [error] {wpid}#{wpid}: *{cid} connect() failed (111: Connection refused) while connecting "
               f"to upstream, client: {ip}, server: {srv}, request: \"POST /api/v1/orders HTTP/1.1\", "
               f"upstream: \"{up}\", host: \"{srv}\"")
    elif y < 0.65:
        probe = r.choice(PROBES).split("?")[0]
        msg = (f"{stamp} [error] {wpid}#{wpid}: *{cid} open() \"/var/www/shop/public{probe}\" failed (2: No such file or "
               f"directory), client: {r.choice(c.bad_ips)}, server: {srv}, request: \"GET {probe} HTTP/1.1\", host: \"{srv}\"")
    elif y < 0.8:
        msg = (f"{stamp} [error] {wpid}#{wpid}: *{cid} limiting requests, excess: {r.uniform(5, 30):.3f} by zone \"api\", "
               f"client: {r.choice(c.bad_ips)}, server: {srv}, request: \"GET /api/v1/search?q=a HTTP/1.1\", host: \"{srv}\"")
    elif y < 0.88:
        msg = (f"{stamp} [crit] {wpid}#{wpid}: *{cid} SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key "
               f"share) while SSL handshaking, client: {r.choice(c.bad_ips)}, server: 0.0.0.0:443")
    elif y < 0.94:
        msg = (f"{stamp} [warn] {wpid}#{wpid}: *{cid} an upstream response is buffered to a temporary file "
               f"/var/cache/nginx/proxy_temp/{r.randint(1, 9)}/{r.randint(10, 99)}/{r.randint(10**9, 10**10)} while reading "
               f"upstream, client: {ip}, server: {srv}, request: \"GET /export.csv HTTP/1.1\", upstream: \"{up}\", host: \"{srv}\"")
    else:
        msg = f"{stamp} [notice] {wpid}#{wpid}: signal process started"
    return [(host, "nginx", None, msg, 187)]


def g_apache(c: Ctx) -> list[Event]:
    r = c.r
    host = "app01"
    prog = r.choice(["apache2", "httpd"])
    x = r.random()
    if x < 0.75:
        return [(host, prog, None, access_line(c), 190)]
    t = c.now
    day = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][t.weekday()]
    stamp = f"[{day} {MONTHS[t.month - 1]} {t.day:02d} {t.hour:02d}:{t.minute:02d}:{t.second:02d}.{r.randint(0, 999999):06d} {t.year}]"
    pid = r.randint(1000, 30000)
    ip = r.choice(c.bad_ips + c.good_ips)
    cl = f"[client {ip}:{c.port()}]"
    y = r.random()
    if y < 0.25:
        p = r.choice(PROBES)
        msg = f"{stamp} [core:info] [pid {pid}:tid {r.randint(10**14, 10**15)}] {cl} AH00128: File does not exist: /var/www/html{p.split('?')[0]}"
    elif y < 0.4:
        u = r.choice(["admin", "alice", "report"])
        msg = (f"{stamp} [auth_basic:error] [pid {pid}:tid {r.randint(10**14, 10**15)}] {cl} AH01617: user {u}: "
               "authentication failure for \"/admin/\": Password Mismatch")
    elif y < 0.5:
        u = r.choice(PROBED)
        msg = (f"{stamp} [auth_basic:error] [pid {pid}:tid {r.randint(10**14, 10**15)}] {cl} AH01618: user {u} not "
               "found: /admin/")
    elif y < 0.62:
        msg = (f"{stamp} [proxy:error] [pid {pid}:tid {r.randint(10**14, 10**15)}] (111)Connection refused: AH00957: "
               f"http: attempt to connect to 127.0.0.1:8081 (127.0.0.1:8081) failed")
    elif y < 0.72:
        msg = (f"{stamp} [authz_core:error] [pid {pid}:tid {r.randint(10**14, 10**15)}] {cl} AH01630: client denied "
               "by server configuration: /var/www/html/server-status")
    elif y < 0.8:
        msg = (f"{stamp} [php:error] [pid {pid}:tid {r.randint(10**14, 10**15)}] {cl} PHP Fatal error:  Uncaught "
               "PDOException: SQLSTATE[HY000] [2002] Connection refused in /var/www/html/lib/db.php:41")
    elif y < 0.86:
        msg = (f"{stamp} [mpm_event:error] [pid {pid}:tid {r.randint(10**14, 10**15)}] AH00484: server reached "
               "MaxRequestWorkers setting, consider raising the MaxRequestWorkers setting")
    elif y < 0.93:
        msg = (f"{stamp} [core:error] [pid {pid}:tid {r.randint(10**14, 10**15)}] {cl} AH10244: invalid URI path "
               "(/cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh)")
    else:
        msg = (f"{stamp} [mpm_event:notice] [pid {r.randint(500, 900)}:tid {r.randint(10**14, 10**15)}] AH00489: "
               "Apache/2.4.58 (Ubuntu) OpenSSL/3.0.13 configured -- resuming normal operations")
    return [(host, prog, None, msg, 187)]


# ------------------------------------------------------------------------------------- dovecot
def g_dovecot(c: Ctx) -> list[Event]:
    r = c.r
    host = "mail01"
    x = r.random()
    sess = base64.b64encode(bytes(r.getrandbits(8) for _ in range(12))).decode()[:16]
    if x < 0.5:
        user = r.choice(MAIL_USERS)
        ip = r.choice(c.lan + c.good_ips)
        svc = r.choice(["imap-login", "imap-login", "pop3-login"])
        mpid = c.pid()
        ev: list[Event] = [(host, "dovecot", None, f"{svc}: Login: user=<{user}>, method=PLAIN, rip={ip}, "
                            f"lip=10.20.0.25, mpid={mpid}, TLS, session=<{sess}>", 22)]
        if r.random() < 0.6:
            proto = svc.split("-")[0]
            ev.append((host, "dovecot", None, f"{proto}({user})<{mpid}><{sess}>: Disconnected: Logged out "
                       f"in={r.randint(100, 9000)} out={r.randint(500, 900000)} deleted=0 expunged=0 trashed=0 "
                       f"hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0", 22))
        return ev
    if x < 0.75:
        user = r.choice(MAIL_USERS + [f"{p}@corp-mail.net" for p in PROBED[:8]])
        ip = r.choice(c.bad_ips)
        return [(host, "dovecot", None, f"auth-worker({c.pid()}): pam({user},{ip},<{sess}>): pam_authenticate() "
                 "failed: Authentication failure (Password mismatch?)", 19),
                (host, "dovecot", None, f"imap-login: Disconnected: Connection closed (auth failed, 1 attempts in "
                 f"{r.randint(2, 9)} secs): user=<{user}>, method=LOGIN, rip={ip}, lip=10.20.0.25, TLS, session=<{sess}>", 22)]
    if x < 0.9:
        user = r.choice(MAIL_USERS)
        return [(host, "dovecot", None, f"lmtp({user})<{c.pid()}><{sess}>: msgid=<{c.hexid(20)}@{r.choice(REMOTE_DOMAINS)}>: "
                 "saved mail to INBOX", 22)]
    ip = r.choice(c.bad_ips)
    return [(host, "dovecot", None, f"imap-login: Disconnected: Connection closed (no auth attempts in "
             f"{r.randint(1, 30)} secs): user=<>, rip={ip}, lip=10.20.0.25, TLS handshaking: SSL_accept() failed: "
             "error:0A000102:SSL routines::unsupported protocol, session=<" + sess + ">", 22)]


# ------------------------------------------------------------------------------------- haproxy
def g_haproxy(c: Ctx) -> list[Event]:
    r = c.r
    host = "lb01"
    x = r.random()
    pid = r.randint(2000, 2100)
    t = c.now
    ts = f"{t.day:02d}/{MONTHS[t.month - 1]}/{t.year}:{t.hour:02d}:{t.minute:02d}:{t.second:02d}.{r.randint(0, 999):03d}"
    if x < 0.8:
        ip = r.choice(c.good_ips + c.lan + c.bad_ips[:5])
        srv = r.choice(["app1", "app2", "app3"])
        st = r.choices([200, 200, 304, 404, 502, 503], [60, 20, 5, 5, 2, 1])[0]
        tq, tw, tc, tr = r.randint(0, 5), 0, r.randint(0, 3), r.randint(2, 900)
        flags = "----" if st < 500 else r.choice(["SH--", "sH--", "SC--"])
        path = r.choice(PATHS)
        return [(host, "haproxy", pid, f"{ip}:{c.port()} [{ts}] fe_shop~ be_shop/{srv} {tq}/{tw}/{tc}/{tr}/"
                 f"{tq + tw + tc + tr} {st} {r.randint(200, 90000)} - - {flags} {r.randint(1, 300)}/{r.randint(1, 300)}/"
                 f"{r.randint(0, 40)}/{r.randint(0, 15)}/0 0/0 \"GET {path} HTTP/1.1\"", 134)]
    if x < 0.9:
        srv = r.choice(["app1", "app2", "app3"])
        return [(host, "haproxy", pid, f"Server be_shop/{srv} is DOWN, reason: Layer4 connection problem, info: "
                 "\"Connection refused\", check duration: 0ms. 2 active and 0 backup servers left. "
                 f"{r.randint(0, 9)} sessions active, 0 requeued, 0 remaining in queue.", 129),
                (host, "haproxy", pid, f"Server be_shop/{srv} is UP, reason: Layer7 check passed, code: 200, check "
                 f"duration: {r.randint(1, 9)}ms. 3 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.", 133)]
    if x < 0.95:
        return [(host, "haproxy", pid, f"Health check for server be_shop/app{r.randint(1, 3)} failed, reason: Layer7 "
                 "wrong status, code: 503, info: \"Service Unavailable\", check duration: 4ms, status: 2/3 UP.", 132)]
    return [(host, "haproxy", pid, "Proxy fe_shop started.", 133)]


# ---------------------------------------------------------------------------------------- bind
ZONES = ["corp-mail.net", "corp.internal", "20.10.in-addr.arpa"]


def g_bind(c: Ctx) -> list[Event]:
    r = c.r
    host = "ns1"
    pid = 712
    x = r.random()
    ip = r.choice(c.lan)
    if x < 0.55:
        name = r.choice(["www.corp-mail.net", "mail01.corp.internal", "api.github.com", "deb.debian.org",
                         "k8s-node02.corp.internal", "pool.ntp.org", "login.microsoftonline.com"])
        rr = r.choice(["A", "AAAA", "A", "MX", "PTR", "HTTPS"])
        return [(host, "named", pid, f"client @0x7f{c.hexid(10)} {ip}#{c.port()} ({name}): query: {name} IN {rr} "
                 f"+{r.choice(['E(0)K', 'E(0)', 'E(0)DC'])} (10.20.0.53)", 30)]
    if x < 0.65:
        bad = r.choice(c.bad_ips)
        return [(host, "named", pid, f"client @0x7f{c.hexid(10)} {bad}#{c.port()} ({r.choice(['sl', 'isc.org', 'peacecorps.gov'])}): "
                 f"query (cache) '{r.choice(['sl', 'isc.org', 'peacecorps.gov'])}/ANY/IN' denied", 29)]
    if x < 0.72:
        z = r.choice(ZONES)
        serial = f"202403{r.randint(10, 11)}{r.randint(1, 9):02d}"
        return [(host, "named", pid, f"zone {z}/IN: loaded serial {serial}", 30),
                (host, "named", pid, f"zone {z}/IN: sending notifies (serial {serial})", 30)]
    if x < 0.78:
        z = r.choice(ZONES)
        return [(host, "named", pid, f"client @0x7f{c.hexid(10)} {r.choice(c.bad_ips)}#{c.port()} ({z}): zone transfer "
                 f"'{z}/AXFR/IN' denied", 29)]
    if x < 0.85:
        nm = r.choice(["cdn.shopify-partner.example", "ns2.brokendomain.example", "tracker.adnet.example"])
        return [(host, "named", pid, f"lame server resolving '{nm}' (in '{'.'.join(nm.split('.')[1:])}'?): "
                 f"{c.public_ip()}#53", 29)]
    if x < 0.92:
        return [(host, "named", pid, f"network unreachable resolving './DNSKEY/IN': 2001:500:{r.randint(1, 9)}f::{r.randint(1, 0xff):x}#53", 29)]
    if x < 0.96:
        return [(host, "named", pid, f"client @0x7f{c.hexid(10)} 10.20.0.54#{c.port()}: transfer of 'corp.internal/IN': "
                 "AXFR-style IXFR started (serial 2024031105)", 30),
                (host, "named", pid, f"client @0x7f{c.hexid(10)} 10.20.0.54#{c.port()}: transfer of 'corp.internal/IN': "
                 f"AXFR-style IXFR ended: 1 messages, {r.randint(40, 300)} records, {r.randint(2000, 20000)} bytes, "
                 f"0.00{r.randint(1, 9)} secs ({r.randint(10**6, 10**7)} bytes/sec) (serial 2024031105)", 30)]
    return [(host, "named", pid, "resolver priming query complete: success", 30)]


# --------------------------------------------------------------------------------------- dhcpd
def g_dhcpd(c: Ctx) -> list[Event]:
    r = c.r
    host = "dhcp01"
    mac = c.mac()
    ip = f"10.20.{r.choice([5, 6])}.{r.randint(20, 240)}"
    name = r.choice(["LAPTOP-" + c.hexid(6).upper(), "iPhone", "printer-3f", "android-" + c.hexid(8), "DESKTOP-" + c.hexid(7).upper(), None])
    nm = f" ({name})" if name else ""
    via = "eth1" if ip.startswith("10.20.5") else "10.20.6.1"
    x = r.random()
    if x < 0.8:
        ev: list[Event] = []
        if r.random() < 0.5:
            ev += [(host, "dhcpd", 901, f"DHCPDISCOVER from {mac}{nm} via {via}", 30),
                   (host, "dhcpd", 901, f"DHCPOFFER on {ip} to {mac}{nm} via {via}", 30)]
        ev += [(host, "dhcpd", 901, f"DHCPREQUEST for {ip} (10.20.0.67) from {mac}{nm} via {via}", 30),
               (host, "dhcpd", 901, f"DHCPACK on {ip} to {mac}{nm} via {via}", 30)]
        return ev
    if x < 0.87:
        return [(host, "dhcpd", 901, f"DHCPRELEASE of {ip} from {mac}{nm} via {via} (found)", 30)]
    if x < 0.92:
        return [(host, "dhcpd", 901, f"DHCPINFORM from {ip} via {via}", 30),
                (host, "dhcpd", 901, f"DHCPACK to {ip} ({mac}) via {via}", 30)]
    if x < 0.96:
        return [(host, "dhcpd", 901, f"DHCPREQUEST for 192.168.1.{r.randint(2, 50)} from {mac}{nm} via {via}: wrong network.", 30),
                (host, "dhcpd", 901, f"DHCPNAK on 192.168.1.{r.randint(2, 50)} to {mac} via {via}", 30)]
    return [(host, "dhcpd", 901, f"DHCPDISCOVER from {mac} via eth1: network 10.20.5.0/24: no free leases", 27)]


# ------------------------------------------------------------------------------------ chrony/ntp
def g_time(c: Ctx) -> list[Event]:
    r = c.r
    host = H(c)
    x = r.random()
    srcs = ["10.20.0.5", "10.20.0.6", "162.159.200.123", "185.125.190.57"]
    if x < 0.35:
        s, name = r.choice([("10.20.0.5", "ntp1.corp.internal"), ("10.20.0.6", "ntp2.corp.internal"),
                            ("162.159.200.123", "2.debian.pool.ntp.org"), ("185.125.190.57", "ntp.ubuntu.com")])
        return [(host, "chronyd", r.randint(500, 900), f"Selected source {s} ({name})", 30)]
    if x < 0.5:
        return [(host, "chronyd", r.randint(500, 900), f"Source {r.choice(srcs)} replaced with {c.public_ip()} (2.debian.pool.ntp.org)", 30)]
    if x < 0.6:
        return [(host, "chronyd", r.randint(500, 900), f"System clock wrong by {r.uniform(-3, 3):.6f} seconds", 28),
                (host, "chronyd", r.randint(500, 900), f"System clock was stepped by {r.uniform(-3, 3):.6f} seconds", 28)]
    if x < 0.68:
        return [(host, "chronyd", r.randint(500, 900), "Can't synchronise: no selectable sources", 28)]
    if x < 0.75:
        return [(host, "chronyd", r.randint(500, 900), "chronyd version 4.3 starting (+CMDMON +NTP +REFCLOCK +RTC +PRIVDROP "
                 "+SCFILTER +SIGND +ASYNCDNS +NTS +SECHASH +IPV6 -DEBUG)", 30),
                (host, "chronyd", r.randint(500, 900), "Frequency -11.482 +/- 0.117 ppm read from /var/lib/chrony/chrony.drift", 30)]
    # ntpd on the older boxes
    host = r.choice(["db02", "mon01", "files01"])
    y = r.random()
    p = r.randint(800, 1200)
    if y < 0.3:
        return [(host, "ntpd", p, f"Listen normally on {r.randint(2, 6)} eth0 10.20.{r.randint(1, 9)}.{r.randint(10, 250)}:123", 30)]
    if y < 0.5:
        return [(host, "ntpd", p, "kernel reports TIME_ERROR: 0x41: Clock Unsynchronized", 28)]
    if y < 0.7:
        return [(host, "ntpd", p, f"{r.choice(srcs)} 8011 81 mobilize assoc {r.randint(10000, 65000)}", 30)]
    if y < 0.85:
        return [(host, "ntpd", p, "0.0.0.0 c615 05 clock_sync", 30)]
    return [(host, "ntpd", p, "ntpd 4.2.8p15@1.3728-o Wed Sep 23 11:46:38 UTC 2020 (1): Starting", 30)]


# --------------------------------------------------------------------------------------- openvpn
def g_openvpn(c: Ctx) -> list[Event]:
    r = c.r
    host = "vpn01"
    pid = 1033
    user = r.choice(["alice", "bmiller", "cwong", "priya.s", "tkowalski", "olga", "r.dubois"])
    ip = r.choice([*c.good_ips, c.public_ip()])
    port = c.port()
    peer = f"{ip}:{port}"
    x = r.random()
    vip = f"10.8.0.{r.randint(2, 250)}"
    if x < 0.55:
        ev: list[Event] = [
            (host, "ovpn-server", pid, f"{peer} TLS: Initial packet from [AF_INET]{peer}, sid={c.hexid(8)} {c.hexid(8)}", 30),
            (host, "ovpn-server", pid, f"{peer} VERIFY OK: depth=1, CN=Corp VPN CA", 30),
            (host, "ovpn-server", pid, f"{peer} VERIFY OK: depth=0, CN={user}", 30),
            (host, "ovpn-server", pid, f"{peer} PLUGIN_CALL: POST /usr/lib/openvpn/openvpn-plugin-auth-pam.so/"
             "PLUGIN_AUTH_USER_PASS_VERIFY status=0", 30),
            (host, "ovpn-server", pid, f"{peer} TLS: Username/Password authentication succeeded for username '{user}'", 30),
            (host, "ovpn-server", pid, f"{peer} [{user}] Peer Connection Initiated with [AF_INET]{peer}", 30),
            (host, "ovpn-server", pid, f"{user}/{peer} MULTI_sva: pool returned IPv4={vip}, IPv6=(Not enabled)", 30),
            (host, "ovpn-server", pid, f"{user}/{peer} MULTI: Learn: {vip} -> {user}/{peer}", 30),
        ]
        if r.random() < 0.5:
            ev.append((host, "ovpn-server", pid, f"{user}/{peer} SIGUSR1[soft,connection-reset] received, client-instance restarting", 30))
        return ev
    if x < 0.75:
        return [(host, "ovpn-server", pid, f"{peer} TLS: Initial packet from [AF_INET]{peer}, sid={c.hexid(8)} {c.hexid(8)}", 30),
                (host, "ovpn-server", pid, f"{peer} VERIFY OK: depth=0, CN={user}", 30),
                (host, "ovpn-server", pid, f"{peer} PLUGIN_CALL: POST /usr/lib/openvpn/openvpn-plugin-auth-pam.so/"
                 "PLUGIN_AUTH_USER_PASS_VERIFY status=1", 30),
                (host, "ovpn-server", pid, f"{peer} PLUGIN_CALL: plugin function PLUGIN_AUTH_USER_PASS_VERIFY failed with "
                 "status 1: /usr/lib/openvpn/openvpn-plugin-auth-pam.so", 27),
                (host, "ovpn-server", pid, f"{peer} TLS Auth Error: Auth Username/Password verification failed for peer", 27)]
    if x < 0.85:
        bad = r.choice(c.bad_ips)
        return [(host, "ovpn-server", pid, f"{bad}:{c.port()} TLS Error: TLS key negotiation failed to occur within "
                 "60 seconds (check your network connectivity)", 27),
                (host, "ovpn-server", pid, f"{bad}:{c.port()} TLS Error: TLS handshake failed", 27)]
    if x < 0.93:
        return [(host, "ovpn-server", pid, f"{peer} VERIFY ERROR: depth=0, error=certificate has expired: CN={user}", 27)]
    return [(host, "ovpn-server", pid, f"{user}/{peer} [{user}] Inactivity timeout (--ping-restart), restarting", 29)]


# -------------------------------------------------------------------------------------- fail2ban
def g_fail2ban(c: Ctx) -> list[Event]:
    r = c.r
    host = r.choice(["bastion01", "mail01", "web01"])
    jail = {"bastion01": "sshd", "mail01": r.choice(["postfix-sasl", "dovecot", "sshd"]), "web01": "nginx-limit-req"}[host]
    ip = r.choice(c.bad_ips)
    t = c.now
    stamp = f"{t.year}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    pid = 688
    if r.random() < 0.5:  # journald/systemd: the whole file line under fail2ban-server
        n = r.randint(1, 3)
        ev: list[Event] = [(host, "fail2ban-server", pid, f"{stamp},{r.randint(100, 999)} fail2ban.filter  [{pid}]: INFO    "
                            f"[{jail}] Found {ip} - {stamp}", 30) for _ in range(n)]
        if r.random() < 0.6:
            ev.append((host, "fail2ban-server", pid, f"{stamp},{r.randint(100, 999)} fail2ban.actions [{pid}]: NOTICE  "
                       f"[{jail}] Ban {ip}", 29))
        return ev
    y = r.random()
    if y < 0.45:
        return [(host, "fail2ban.filter", pid, f"INFO    [{jail}] Found {ip} - {stamp}", 30)]
    if y < 0.8:
        return [(host, "fail2ban.actions", pid, f"NOTICE  [{jail}] Ban {ip}", 29)]
    return [(host, "fail2ban.actions", pid, f"NOTICE  [{jail}] Unban {ip}", 29)]


# ----------------------------------------------------------------------------------------- mysql
def g_mysql(c: Ctx) -> list[Event]:
    r = c.r
    host = "db02"
    t = c.now
    iso = f"{t.year}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}.{r.randint(0, 999999):06d}Z"
    th = r.randint(8, 90000)
    x = r.random()
    if x < 0.35:
        u = r.choice(["shop", "reporting", "root", "grafana"])
        h = r.choice([*c.lan, "localhost"])
        return [(host, "mysqld", 1411, f"{iso} {th} [Note] [MY-010926] [Server] Access denied for user '{u}'@'{h}' "
                 f"(using password: {r.choice(['YES', 'YES', 'NO'])})", 28)]
    if x < 0.65:
        db = r.choice(["shop", "wp_blog", "reporting"])
        u = {"shop": "shop", "wp_blog": "wordpress", "reporting": "reporting"}[db]
        return [(host, "mysqld", 1411, f"{iso} {th} [Note] [MY-010914] [Server] Aborted connection {th} to db: '{db}' "
                 f"user: '{u}' host: '{r.choice(c.lan)}' (Got an error reading communication packets).", 28)]
    if x < 0.75:
        return [(host, "mysqld", 1411, f"{iso} 0 [Warning] [MY-013360] [Server] Plugin mysql_native_password reported: "
                 "''mysql_native_password' is deprecated and will be removed in a future release. Please use "
                 "caching_sha2_password instead'", 28)]
    if x < 0.85:
        # MariaDB on the legacy reporting box
        stamp = f"{t.year}-{t.month:02d}-{t.day:02d} {t.hour:2d}:{t.minute:02d}:{t.second:02d}"
        return [("db01", "mariadbd", 2210, f"{stamp} {th} [Warning] Access denied for user 'root'@'{r.choice(c.lan)}' "
                 "(using password: YES)", 28)]
    if x < 0.93:
        return [(host, "mysqld", 1411, f"{iso} {th} [ERROR] [MY-000061] [Server] 1040  Too many connections", 27)]
    return [(host, "mysqld", 1411, f"{iso} 0 [System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. "
             "Version: '8.0.36-0ubuntu0.22.04.1'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  (Ubuntu).", 30)]


# ------------------------------------------------------------------------------------ postgresql
def g_postgres(c: Ctx) -> list[Event]:
    r = c.r
    host = "db01"
    t = c.now
    stamp = f"{t.year}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}:{t.second:02d}.{r.randint(0, 999):03d} UTC"
    pid = r.randint(10000, 999999)
    seq = r.randint(1, 40000)
    pre = f"[{seq}-1] {stamp} [{pid}] "
    ip = r.choice(c.lan)
    x = r.random()
    db, u = r.choice([("shop", "shop_app"), ("analytics", "metabase"), ("shop", "shop_ro"), ("postgres", "postgres")])
    if x < 0.3:
        return [(host, "postgres", pid, f"{pre}LOG:  connection received: host={ip} port={c.port()}", 134),
                (host, "postgres", pid, f"[{seq + 1}-1] {stamp} [{pid}] {u}@{db} LOG:  connection authorized: user={u} "
                 f"database={db} application_name={r.choice(['psql', 'Metabase v0.48.6', 'PostgreSQL JDBC Driver'])}"
                 + (" SSL enabled (protocol=TLSv1.3, cipher=TLS_AES_256_GCM_SHA384, bits=256)" if r.random() < 0.4 else ""), 134)]
    if x < 0.45:
        return [(host, "postgres", pid, f"{pre}LOG:  connection received: host={ip} port={c.port()}", 134),
                (host, "postgres", pid, f"[{seq + 1}-1] {stamp} [{pid}] {u}@{db} FATAL:  password authentication failed "
                 f"for user \"{u}\"", 131),
                (host, "postgres", pid, f"[{seq + 1}-2] {stamp} [{pid}] {u}@{db} DETAIL:  Connection matched pg_hba.conf "
                 "line 102: \"host    all    all    10.20.0.0/16    scram-sha-256\"", 131)]
    if x < 0.55:
        return [(host, "postgres", pid, f"{pre}[unknown]@[unknown] FATAL:  no pg_hba.conf entry for host \"{r.choice(c.lan)}\", "
                 f"user \"{u}\", database \"{db}\", no encryption", 131)]
    if x < 0.68:
        return [(host, "postgres", pid, f"{pre}{u}@{db} LOG:  duration: {r.uniform(1000, 90000):.3f} ms  statement: "
                 f"SELECT o.id, o.total FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.created_at > "
                 f"now() - interval '{r.randint(1, 90)} days' ORDER BY o.total DESC", 134)]
    if x < 0.78:
        return [(host, "postgres", pid, f"{pre}{u}@{db} ERROR:  duplicate key value violates unique constraint \"orders_pkey\"", 131),
                (host, "postgres", pid, f"[{seq}-2] {stamp} [{pid}] {u}@{db} DETAIL:  Key (id)=({r.randint(10**5, 10**6)}) already exists.", 131),
                (host, "postgres", pid, f"[{seq}-3] {stamp} [{pid}] {u}@{db} STATEMENT:  INSERT INTO orders (id, customer_id, total) "
                 "VALUES ($1, $2, $3)", 131)]
    if x < 0.88:
        return [(host, "postgres", r.randint(900, 999), f"[{seq}-1] {stamp} [{r.randint(900, 999)}] LOG:  checkpoint starting: time", 134),
                (host, "postgres", r.randint(900, 999), f"[{seq + 1}-1] {stamp} [{r.randint(900, 999)}] LOG:  checkpoint complete: "
                 f"wrote {r.randint(10, 4000)} buffers ({r.uniform(0, 9):.1f}%); 0 WAL file(s) added, 0 removed, "
                 f"{r.randint(0, 3)} recycled; write={r.uniform(1, 200):.3f} s, sync={r.uniform(0, 1):.3f} s, "
                 f"total={r.uniform(1, 200):.3f} s; sync files={r.randint(5, 90)}, longest={r.uniform(0, 1):.3f} s, "
                 f"average={r.uniform(0, 0.1):.3f} s; distance={r.randint(100, 90000)} kB, estimate={r.randint(100, 90000)} kB", 134)]
    if x < 0.94:
        return [(host, "postgres", pid, f"{pre}{u}@{db} ERROR:  deadlock detected", 131),
                (host, "postgres", pid, f"[{seq}-2] {stamp} [{pid}] {u}@{db} DETAIL:  Process {pid} waits for ShareLock on "
                 f"transaction {r.randint(10**6, 10**7)}; blocked by process {pid + 17}.", 131)]
    return [(host, "postgres", pid, f"{pre}LOG:  automatic vacuum of table \"shop.public.order_items\": index scans: 1", 134)]


# ---------------------------------------------------------------------------------------- redis
def g_redis(c: Ctx) -> list[Event]:
    r = c.r
    host = "cache01"
    t = c.now
    stamp = f"{t.day:02d} {MONTHS[t.month - 1]} {t.year} {t.hour:02d}:{t.minute:02d}:{t.second:02d}.{r.randint(0, 999):03d}"
    pid = 1877
    x = r.random()
    if x < 0.6:
        child = c.pid()
        return [(host, "redis-server", pid, f"{pid}:M {stamp} * {r.choice([1, 10, 100, 10000])} changes in "
                 f"{r.choice([60, 300, 3600])} seconds. Saving...", 30),
                (host, "redis-server", pid, f"{pid}:M {stamp} * Background saving started by pid {child}", 30),
                (host, "redis-server", child, f"{child}:C {stamp} * DB saved on disk", 30),
                (host, "redis-server", pid, f"{pid}:M {stamp} * Background saving terminated with success", 30)]
    if x < 0.75:
        return [(host, "redis-server", pid, f"{pid}:M {stamp} # Connection with replica 10.20.3.{r.randint(10, 20)}:6379 lost.", 28)]
    if x < 0.85:
        return [(host, "redis-server", pid, f"{pid}:M {stamp} # WARNING Memory overcommit must be enabled! Without it, a "
                 "background save or replication may fail under low memory condition.", 28)]
    if x < 0.93:
        return [(host, "redis-server", pid, f"{pid}:M {stamp} * Ready to accept connections tcp", 30)]
    return [(host, "redis-server", pid, f"{pid}:M {stamp} # Background saving error", 27)]


# -------------------------------------------------------------------------------- docker/kubelet
PODS = ["shop-web-7d9f8c5b6-x2kqp", "shop-worker-5c7b9d8f4-hm2zl", "inventory-api-66f5d7c9b-p8w4t",
        "redis-exporter-7b8c6d-9qj2n", "ingress-nginx-controller-6cc5f9c8d-4mzb7"]


def g_kube(c: Ctx) -> list[Event]:
    r = c.r
    host = r.choice(["k8s-node01", "k8s-node02", "k8s-node03"])
    t = c.now
    kts = f"{t.month:02d}{t.day:02d} {t.hour:02d}:{t.minute:02d}:{t.second:02d}.{r.randint(0, 999999):06d}"
    pid = 1290
    pod = r.choice(PODS)
    ns = "ingress-nginx" if pod.startswith("ingress") else "prod"
    uid = f"{c.hexid(8)}-{c.hexid(4)}-{c.hexid(4)}-{c.hexid(4)}-{c.hexid(12)}"
    cont = pod.rsplit("-", 2)[0]
    x = r.random()
    if x < 0.35:
        return [(host, "kubelet", pid, f"E{kts}    {pid} pod_workers.go:1298] \"Error syncing pod, skipping\" err=\"failed to "
                 f"\\\"StartContainer\\\" for \\\"{cont}\\\" with CrashLoopBackOff: \\\"back-off 5m0s restarting failed "
                 f"container={cont} pod={pod}_{ns}({uid})\\\"\" pod=\"{ns}/{pod}\" podUID=\"{uid}\"", 27)]
    if x < 0.6:
        kind = r.choice(["Readiness", "Liveness"])
        return [(host, "kubelet", pid, f"I{kts}    {pid} prober.go:107] \"Probe failed\" probeType=\"{kind}\" "
                 f"pod=\"{ns}/{pod}\" podUID=\"{uid}\" containerName=\"{cont}\" probeResult=\"failure\" "
                 f"output=\"Get \\\"http://10.244.{r.randint(0, 3)}.{r.randint(2, 250)}:8080/healthz\\\": context deadline "
                 "exceeded (Client.Timeout exceeded while awaiting headers)\"", 30)]
    if x < 0.72:
        return [(host, "kubelet", pid, f"I{kts}    {pid} kuberuntime_container.go:770] \"Killing container with a grace "
                 f"period\" pod=\"{ns}/{pod}\" podUID=\"{uid}\" containerName=\"{cont}\" containerID="
                 f"\"containerd://{c.hexid(64)}\" gracePeriod=30", 30)]
    if x < 0.82:
        img = r.choice(["registry.corp.internal/shop/web:2024.03.3", "registry.corp.internal/shop/worker:latest"])
        return [(host, "kubelet", pid, f"E{kts}    {pid} remote_image.go:180] \"PullImage from image service failed\" "
                 f"err=\"rpc error: code = NotFound desc = failed to pull and unpack image \\\"{img}\\\": failed to "
                 f"resolve reference \\\"{img}\\\": {img}: not found\" image=\"{img}\"", 27)]
    # dockerd / containerd on the build box
    host = "build01"
    iso = f"{t.year}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}.{r.randint(0, 999999999):09d}Z"
    cid = c.hexid(64)
    y = r.random()
    if y < 0.5:
        return [(host, "dockerd", 977, f"time=\"{iso}\" level=info msg=\"ignoring event\" container={cid} "
                 "module=libcontainerd namespace=moby topic=/tasks/delete type=\"*events.TaskDelete\"", 30)]
    if y < 0.75:
        return [(host, "dockerd", 977, f"time=\"{iso}\" level=error msg=\"Handler for POST /v1.44/containers/{cid[:12]}/start "
                 "returned error: driver failed programming external connectivity on endpoint ci-runner-7: Bind for "
                 "0.0.0.0:8080 failed: port is already allocated\"", 27)]
    if y < 0.9:
        return [(host, "dockerd", 977, f"time=\"{iso}\" level=warning msg=\"Health check for container {cid} error: "
                 "context deadline exceeded\"", 28)]
    return [(host, "containerd", 688, f"time=\"{iso}\" level=info msg=\"shim disconnected\" id={cid} namespace=moby", 30)]


# ---------------------------------------------------------------------------------------- samba
def g_samba(c: Ctx) -> list[Event]:
    r = c.r
    host = "files01"
    t = c.now
    user = r.choice(["alice", "cwong", "priya.s", "mhernandez", "olga", "scanner"])
    ip = r.choice(c.lan)
    ws = "LAPTOP-" + c.hexid(5).upper()
    stamp = f"{t.strftime('%a')}, {t.day:02d} {MONTHS[t.month - 1]} {t.year} {t.hour:02d}:{t.minute:02d}:{t.second:02d}.{r.randint(0, 999999):06d} UTC"
    x = r.random()
    if x < 0.45:
        return [(host, "smbd", c.pid(), f"Auth: [SMB2,(null)] user [CORP]\\[{user}] at [{stamp}] with [NTLMv2] status "
                 f"[NT_STATUS_OK] workstation [{ws}] remote host [ipv4:{ip}:{c.port()}] became [CORP]\\[{user}] "
                 f"[S-1-5-21-{r.randint(10**9, 4 * 10**9)}-{r.randint(10**9, 4 * 10**9)}-{r.randint(10**9, 4 * 10**9)}-"
                 f"{r.randint(1100, 1500)}]. local host [ipv4:10.20.0.40:445]", 29)]
    if x < 0.65:
        return [(host, "smbd", c.pid(), f"Auth: [SMB2,(null)] user [CORP]\\[{user}] at [{stamp}] with [NTLMv2] status "
                 f"[NT_STATUS_WRONG_PASSWORD] workstation [{ws}] remote host [ipv4:{ip}:{c.port()}] mapped to "
                 f"[CORP]\\[{user}]. local host [ipv4:10.20.0.40:445]", 29)]
    if x < 0.9:
        share = r.choice(["projects", "scans", "finance", "homes"])
        uid = STAFF.get(user, 1500)
        addr = f"ipv4:{ip}:{c.port()}" if r.random() < 0.7 else ip
        return [(host, "smbd", c.pid(), f"  {ws.lower()} ({addr}) connect to service {share} initially as user {user} "
                 f"(uid={uid}, gid={uid}) (pid {c.pid()})", 29)]
    addr = f"ipv4:{ip}:{c.port()}" if r.random() < 0.7 else ip
    return [(host, "smbd", c.pid(), f"  {ws.lower()} ({addr}) closed connection to service {r.choice(['projects', 'scans'])}", 29)]


# ------------------------------------------------------------------------------------------ ftp
def g_ftp(c: Ctx) -> list[Event]:
    r = c.r
    host = "files01"
    x = r.random()
    if x < 0.55:
        ip = r.choice(c.lan + c.bad_ips)
        user = r.choice(["scanner", "partner-acme", "alice", "webupload"]) if ip in c.lan else r.choice(PROBED)
        pid = c.pid()
        if ip in c.lan:
            fn = f"/incoming/{r.choice(['scan', 'invoice', 'export'])}_{r.randint(1000, 9999)}.pdf"
            return [(host, "vsftpd", pid, f"CONNECT: Client \"::ffff:{ip}\"", 30),
                    (host, "vsftpd", pid, f"[{user}] OK LOGIN: Client \"::ffff:{ip}\"", 30),
                    (host, "vsftpd", pid, f"[{user}] OK UPLOAD: Client \"::ffff:{ip}\", \"{fn}\", {r.randint(10**4, 10**7)} "
                     f"bytes, {r.uniform(100, 9000):.2f}Kbyte/sec", 30)]
        return [(host, "vsftpd", pid, f"CONNECT: Client \"::ffff:{ip}\"", 30),
                (host, "vsftpd", pid, f"[{user}] FAIL LOGIN: Client \"::ffff:{ip}\"", 30)]
    ip = r.choice(c.bad_ips + c.lan)
    pid = c.pid()
    name = "ftp.corp-mail.net"
    if ip in c.lan:
        u = r.choice(["partner-acme", "webupload"])
        return [("files01", "proftpd", pid, f"{name} ({ip}[{ip}]) - FTP session opened.", 30),
                ("files01", "proftpd", pid, f"{name} ({ip}[{ip}]) - USER {u}: Login successful.", 30),
                ("files01", "proftpd", pid, f"{name} ({ip}[{ip}]) - FTP session closed.", 30)]
    u = r.choice(PROBED)
    return [("files01", "proftpd", pid, f"{name} ({ip}[{ip}]) - USER {u}: no such user found from {ip} [{ip}] to "
             "10.20.0.40:21", 29)]


# --------------------------------------------------------------------------------------- clamav
def g_clamav(c: Ctx) -> list[Event]:
    r = c.r
    host = "mail01"
    x = r.random()
    if x < 0.35:
        return [(host, "clamd", 844, f"/var/lib/amavis/tmp/amavis-20240311T{r.randint(0, 23):02d}{r.randint(0, 59):02d}"
                 f"{r.randint(0, 59):02d}-{r.randint(10000, 99999)}-{c.hexid(8)}/parts/p00{r.randint(1, 4)}: "
                 f"{r.choice(['Win.Trojan.Agent-1234567', 'Doc.Dropper.Agent-7095432-0', 'Html.Phishing.Bank-9871', 'Eicar-Test-Signature'])} FOUND", 28)]
    if x < 0.55:
        return [(host, "clamd", 844, "SelfCheck: Database status OK.", 30)]
    if x < 0.85:
        v = r.randint(27210, 27230)
        return [(host, "freshclam", 733, f"ClamAV update process started at {c.now.strftime('%a %b %d %H:%M:%S %Y')}", 30),
                (host, "freshclam", 733, f"daily.cld updated (version: {v}, sigs: {r.randint(2_050_000, 2_060_000)}, f-level: 90, "
                 "builder: raynman)", 30),
                (host, "freshclam", 733, "main.cvd database is up-to-date (version: 62, sigs: 6647427, f-level: 90, builder: sigmgr)", 30)]
    return [(host, "freshclam", 733, "Can't query current.cvd.clamav.net", 27)]


# ------------------------------------------------------------------------------ nagios / icinga
CHECKS = [("web01", "HTTP", "HTTP CRITICAL - Socket timeout after 10 seconds", "HTTP OK: HTTP/1.1 200 OK - 5632 bytes in 0.041 second response time"),
          ("db01", "PostgreSQL connections", "POSTGRES_BACKENDS CRITICAL: DB \"postgres\" (host:db01) 96 of 100 connections (96%)", "POSTGRES_BACKENDS OK: DB \"postgres\" (host:db01) 34 of 100 connections (34%)"),
          ("mail01", "Mail queue", "WARNING: mailq is 78 (threshold w = 50)", "OK: mailq is empty"),
          ("files01", "Disk /srv", "DISK WARNING - free space: /srv 18342 MB (8.1% inode=97%);", "DISK OK - free space: /srv 41003 MB (18.2% inode=97%);"),
          ("cache01", "Load", "CRITICAL - load average: 12.31, 9.04, 6.11", "OK - load average: 0.41, 0.52, 0.60")]


def g_monitoring(c: Ctx) -> list[Event]:
    r = c.r
    host, svc, bad, good = r.choice(CHECKS)
    state = r.choice(["CRITICAL", "WARNING"]) if "CRITICAL" in bad else "WARNING"
    x = r.random()
    if x < 0.6:
        ev: list[Event] = [("mon01", "nagios", 1666, f"SERVICE ALERT: {host};{svc};{state};SOFT;1;{bad}", 30),
                           ("mon01", "nagios", 1666, f"SERVICE ALERT: {host};{svc};{state};HARD;3;{bad}", 30)]
        if r.random() < 0.6:
            ev.append(("mon01", "nagios", 1666, f"SERVICE NOTIFICATION: oncall-team;{host};{svc};{state};notify-service-by-email;{bad}", 30))
        ev.append(("mon01", "nagios", 1666, f"SERVICE ALERT: {host};{svc};OK;HARD;3;{good}", 30))
        return ev
    if x < 0.7:
        return [("mon01", "nagios", 1666, f"HOST ALERT: {r.choice(['k8s-node03', 'printer-2og', 'ups-rack2'])};DOWN;SOFT;1;"
                 "CRITICAL - Host Unreachable (10.20.9.14)", 30)]
    if x < 0.78:
        return [("mon01", "nagios", 1666, f"EXTERNAL COMMAND: ACKNOWLEDGE_SVC_PROBLEM;{host};{svc};2;1;1;alice;On it, ticket OPS-{r.randint(1000, 9999)}", 30)]
    # icinga2 satellites
    y = r.random()
    if y < 0.5:
        return [("mon01", "icinga2", 2301, f"information/Checkable: Checkable '{host}!{svc.lower().replace(' ', '-')}' has "
                 f"{r.randint(1, 5)} notification(s). Checking filters for type 'Problem', sends will be logged.", 30)]
    if y < 0.8:
        return [("mon01", "icinga2", 2301, f"information/ApiListener: New client connection for identity '{r.choice(['k8s-node01', 'k8s-node02', 'db01'])}' "
                 f"from [{r.choice(c.lan)}]:{c.port()}", 30)]
    return [("mon01", "icinga2", 2301, f"warning/PluginNotificationTask: Notification command for object '{host}!{svc}' "
             "(PID: 4412, arguments: '/etc/icinga2/scripts/mail-service-notification.sh') terminated with exit code 1, output: "
             "sendmail: can't connect to remote host (127.0.0.1): Connection refused", 28)]


# ------------------------------------------------------------------------------ network devices
def cisco_ts(c: Ctx) -> str:
    t = c.now
    return f"{MONTHS[t.month - 1]} {t.day:2d} {t.hour:02d}:{t.minute:02d}:{t.second:02d}.{c.r.randint(0, 999):03d}"


def g_cisco_ios(c: Ctx) -> list[Event]:
    r = c.r
    seq = r.randint(10000, 99999)
    iface = f"GigabitEthernet1/0/{r.randint(1, 48)}"
    x = r.random()
    if x < 0.35:
        body = [f"%LINK-3-UPDOWN: Interface {iface}, changed state to down",
                f"%LINEPROTO-5-UPDOWN: Line protocol on Interface {iface}, changed state to down",
                f"%LINK-3-UPDOWN: Interface {iface}, changed state to up",
                f"%LINEPROTO-5-UPDOWN: Line protocol on Interface {iface}, changed state to up"]
    elif x < 0.55:
        who = r.choice(["netops", "admin", "tkowalski"])
        body = [f"%SEC_LOGIN-5-LOGIN_SUCCESS: Login Success [user: {who}] [Source: {r.choice(c.lan)}] [localport: 22] at "
                f"{c.now.strftime('%H:%M:%S')} UTC {c.now.strftime('%a %b %d %Y')}",
                f"%SYS-5-CONFIG_I: Configured from console by {who} on vty0 ({r.choice(c.lan)})"]
    elif x < 0.75:
        body = [f"%SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: {r.choice(['admin', 'cisco', 'root'])}] [Source: "
                f"{r.choice(c.lan)}] [localport: 22] [Reason: Login Authentication Failed] at {c.now.strftime('%H:%M:%S')} "
                f"UTC {c.now.strftime('%a %b %d %Y')}"]
    elif x < 0.88:
        nb = f"10.255.0.{r.randint(1, 9)}"
        body = [f"%OSPF-5-ADJCHG: Process 1, Nbr {nb} on Vlan{r.randint(10, 99)} from FULL to DOWN, Neighbor Down: Dead timer expired",
                f"%OSPF-5-ADJCHG: Process 1, Nbr {nb} on Vlan{r.randint(10, 99)} from LOADING to FULL, Loading Done"]
    else:
        body = [f"%SEC-6-IPACCESSLOGP: list MGMT-IN denied tcp {r.choice(c.bad_ips)}({c.port()}) -> 10.20.0.1(23), 1 packet"]
    out: list[Event] = []
    for i, b in enumerate(body):
        if r.random() < 0.5:
            out.append(("RAW", f"<189>{seq + i}: core-sw1: *{cisco_ts(c)} UTC: {b}"))
        else:
            out.append(("RAW", f"<189>{syslog_ts(c)} core-sw1 {seq + i}: *{cisco_ts(c)} UTC: {b}"))
    return out


def g_cisco_asa(c: Ctx) -> list[Event]:
    r = c.r
    t = c.now
    ts = f"{MONTHS[t.month - 1]} {t.day:02d} {t.year} {t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    x = r.random()
    conn = r.randint(10**6, 9 * 10**6)
    src = r.choice(c.bad_ips + c.good_ips)
    if x < 0.3:
        msgs = [f"%ASA-6-302013: Built inbound TCP connection {conn} for outside:{src}/{c.port()} ({src}/{c.port()}) to "
                f"dmz:10.30.0.{r.randint(10, 20)}/443 (198.51.100.{r.randint(10, 20)}/443)",
                f"%ASA-6-302014: Teardown TCP connection {conn} for outside:{src}/{c.port()} to dmz:10.30.0.{r.randint(10, 20)}/443 "
                f"duration 0:00:{r.randint(1, 59):02d} bytes {r.randint(500, 900000)} TCP FINs from outside"]
    elif x < 0.55:
        msgs = [f"%ASA-4-106023: Deny tcp src outside:{r.choice(c.bad_ips)}/{c.port()} dst dmz:10.30.0.{r.randint(10, 20)}/"
                f"{r.choice([22, 3389, 445, 1433])} by access-group \"outside_access_in\" [0x{c.hexid(8)}, 0x0]"]
    elif x < 0.7:
        u = r.choice(["alice", "bmiller", "olga", "r.dubois"])
        vip = f"10.9.0.{r.randint(10, 250)}"
        msgs = [f"%ASA-6-113004: AAA user authentication Successful : server =  10.20.0.30 : user = {u}",
                f"%ASA-4-722051: Group <GP-RemoteStaff> User <{u}> IP <{src}> IPv4 Address <{vip}> IPv6 address <::> assigned to session",
                f"%ASA-4-113019: Group = GP-RemoteStaff, Username = {u}, IP = {src}, Session disconnected. Session Type: "
                f"SSL, Duration: 2h:{r.randint(10, 59)}m:{r.randint(10, 59)}s, Bytes xmt: {r.randint(10**6, 10**9)}, Bytes rcv: "
                f"{r.randint(10**5, 10**8)}, Reason: User Requested"]
    elif x < 0.82:
        msgs = [f"%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.20.0.30 : user = "
                f"***** : user IP = {r.choice(c.bad_ips)}"]
    elif x < 0.92:
        msgs = [f"%ASA-6-605005: Login permitted from {r.choice(c.lan)}/{c.port()} to inside:10.20.0.2/ssh for user \"netops\"",
                "%ASA-5-111008: User 'netops' executed the 'write memory' command."]
    else:
        msgs = [f"%ASA-6-605004: Login denied from {r.choice(c.bad_ips)}/{c.port()} to outside:198.51.100.2/ssh for user \"admin\""]
    return [("RAW", f"<{166 if '-6-' in m else 164 if '-4-' in m else 165}>{ts} asa-fw1 : {m}") for m in msgs]


def g_juniper(c: Ctx) -> list[Event]:
    r = c.r
    x = r.random()
    host = "srx-edge1"
    if x < 0.4:
        src = r.choice(c.bad_ips)
        m = (f"RT_FLOW: RT_FLOW_SESSION_DENY: session denied {src}/{c.port()}->203.0.113.{r.randint(2, 30)}/"
             f"{r.choice([23, 22, 445, 8291])} 0x0 {r.choice(['junos-telnet', 'junos-ssh', 'junos-smb', 'None'])} 6(0) "
             "default-deny untrust trust UNKNOWN UNKNOWN N/A(N/A) ge-0/0/0.0 No policy reject "
             f"{r.randint(10000, 99999)} N/A N/A -1")
        return [("RAW", f"<14>{syslog_ts(c)} {host} {m}")]
    if x < 0.6:
        return [("RAW", f"<38>{syslog_ts(c)} {host} sshd[{c.pid()}]: SSHD_LOGIN_FAILED: Login failed for user "
                 f"'{r.choice(['root', 'admin', 'netconf'])}' from host '{r.choice(c.bad_ips)}'")]
    if x < 0.75:
        u = r.choice(["netops", "tkowalski"])
        p = c.pid()
        return [("RAW", f"<189>{syslog_ts(c)} {host} mgd[{p}]: UI_COMMIT: User '{u}' requested 'commit' operation (comment: "
                 f"{r.choice(['none', 'OPS-4412 open 443 to dmz', 'tighten mgmt filter'])})"),
                ("RAW", f"<189>{syslog_ts(c)} {host} mgd[{p}]: UI_COMMIT_COMPLETED: commit complete")]
    if x < 0.9:
        peer = f"198.51.100.{r.randint(1, 9)}"
        return [("RAW", f"<28>{syslog_ts(c)} {host} rpd[{r.randint(1500, 1600)}]: RPD_BGP_NEIGHBOR_STATE_CHANGED: BGP peer {peer} "
                 f"(External AS 64{r.randint(500, 599)}) changed state from Established to Idle (event RecvNotify) (instance master)")]
    return [("RAW", f"<28>{syslog_ts(c)} {host} mib2d[{r.randint(1500, 1600)}]: SNMP_TRAP_LINK_DOWN: ifIndex {r.randint(500, 560)}, "
             f"ifAdminStatus up(1), ifOperStatus down(2), ifName ge-0/0/{r.randint(1, 7)}")]


def g_fortinet(c: Ctx) -> list[Event]:
    r = c.r
    t = c.now
    d, tm = f"{t.year}-{t.month:02d}-{t.day:02d}", f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    head = (f'date={d} time={tm} devname="FGT-HQ-01" devid="FG100FTK2{r.randint(1000000, 9999999)}" '
            f'eventtime={int(t.timestamp()) * 10**9 + r.randint(0, 10**9)} tz="+0000"')
    x = r.random()
    if x < 0.55:
        act = r.choice(["accept", "accept", "close", "deny"])
        src = r.choice(c.lan) if act != "deny" else r.choice(c.bad_ips)
        body = (f'logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" srcip={src} '
                f'srcport={c.port()} srcintf="{"port2" if act != "deny" else "wan1"}" srcintfrole="{"lan" if act != "deny" else "wan"}" '
                f'dstip={c.public_ip() if act != "deny" else "203.0.113.5"} dstport={r.choice([443, 80, 53, 22, 3389])} '
                f'dstintf="{"wan1" if act != "deny" else "port2"}" dstintfrole="{"wan" if act != "deny" else "lan"}" '
                f'sessionid={r.randint(10**6, 10**8)} proto=6 action="{act}" policyid={0 if act == "deny" else r.randint(1, 40)} '
                f'policytype="policy" service="HTTPS" duration={r.randint(0, 600)} sentbyte={r.randint(0, 10**6)} '
                f'rcvdbyte={r.randint(0, 10**7)}')
    elif x < 0.7:
        u = r.choice(["admin", "netops"])
        ok = r.random() < 0.6
        src = r.choice(c.lan) if ok else r.choice(c.bad_ips)
        body = (f'logid="{"0100032001" if ok else "0100032002"}" type="event" subtype="system" level="{"information" if ok else "alert"}" '
                f'vd="root" logdesc="Admin login {"successful" if ok else "failed"}" sn="{int(t.timestamp())}" user="{u}" '
                f'ui="{"https" if ok else "ssh"}({src})" method="{"https" if ok else "ssh"}" srcip={src} dstip=10.20.0.1 '
                f'action="login" status="{"success" if ok else "failed"}"'
                + ("" if ok else ' reason="name_invalid"')
                + f' msg="Administrator {u} {"logged in successfully" if ok else "login failed"} from '
                f'{"https" if ok else "ssh"}({src})"')
    elif x < 0.82:
        u = r.choice(["alice", "bmiller", "olga"])
        src = r.choice(c.good_ips)
        body = (f'logid="0101039947" type="event" subtype="vpn" level="information" vd="root" logdesc="SSL VPN tunnel up" '
                f'action="tunnel-up" tunneltype="ssl-tunnel" tunnelid={r.randint(10**8, 10**9)} remip={src} '
                f'tunnelip=10.212.134.{r.randint(100, 200)} user="{u}" group="vpn-staff" dst_host="N/A" reason="tunnel established" '
                f'msg="SSL tunnel established"')
    elif x < 0.92:
        src = r.choice(c.bad_ips)
        body = (f'logid="0101039426" type="event" subtype="vpn" level="alert" vd="root" logdesc="SSL VPN login fail" '
                f'action="ssl-login-fail" tunneltype="ssl-web" tunnelid=0 remip={src} user="{r.choice(PROBED)}" '
                f'group="N/A" dst_host="N/A" reason="sslvpn_login_unknown_user" msg="SSL user failed to logged in"')
    else:
        body = (f'logid="0419016384" type="utm" subtype="ips" eventtype="signature" level="alert" vd="root" severity="high" '
                f'srcip={r.choice(c.bad_ips)} srccountry="Reserved" dstip=203.0.113.5 srcintf="wan1" dstintf="port2" '
                f'sessionid={r.randint(10**6, 10**8)} action="dropped" proto=6 service="HTTP" policyid=12 '
                f'attack="Apache.Log4j.Error.Log.Remote.Code.Execution" srcport={c.port()} dstport=80 direction="outgoing" '
                f'attackid=51006 ref="http://www.fortinet.com/ids/VID51006" msg="web_app3: Apache.Log4j.Error.Log.Remote.Code.Execution"')
    return [("RAW", f"<189>{head} {body}")]


def g_windows(c: Ctx) -> list[Event]:
    r = c.r
    t = c.now
    host = r.choice(["DC01", "DC02", "FS-WIN01"])
    snare_date = t.strftime("%a %b %d %H:%M:%S %Y")
    x = r.random()
    counter = r.randint(10**5, 10**6)
    rec = r.randint(10**6, 10**8)

    def snare(eid: int, src: str, kind: str, cat: str, text: str) -> Event:
        return ("RAW", f"<13>{syslog_ts(c)} {host} MSWinEventLog\t1\tSecurity\t{counter}\t{snare_date}\t{eid}\t{src}\t"
                       f"N/A\tN/A\t{kind}\t{host}.corp.internal\t{cat}\t\t{text}\t{rec}")

    if x < 0.35:
        u = r.choice(["administrator", "alice", "svc_backup", "scanner", "j.smith", *PROBED[:5]])
        src = r.choice(c.bad_ips + c.lan)
        text = ("An account failed to log on.    Subject:   Security ID:  S-1-0-0   Account Name:  -   Account Domain:  -   "
                "Logon ID:  0x0    Logon Type:   3    Account For Which Logon Failed:   Security ID:  S-1-0-0   "
                f"Account Name:  {u}   Account Domain:  CORP    Failure Information:   Failure Reason:  Unknown user name "
                "or bad password.   Status:   0xC000006D   Sub Status:  0xC000006A    Process Information:   Caller "
                "Process ID: 0x0   Caller Process Name: -    Network Information:   Workstation Name: "
                f"{r.choice(['-', 'KALI', 'WIN-' + c.hexid(6).upper()])}   Source Network Address: {src}   Source Port:  "
                f"{c.port()}    Detailed Authentication Information:   Logon Process:  NtLmSsp    Authentication Package: NTLM   "
                "Transited Services: -   Package Name (NTLM only): -   Key Length:  0")
        return [snare(4625, "Microsoft-Windows-Security-Auditing", "Failure Audit", "Logon", text)]
    if x < 0.7:
        u = r.choice(["alice", "bmiller", "svc_backup", "FS-WIN01$", "j.smith"])
        src = r.choice(c.lan)
        lt = r.choice([3, 3, 10, 2])
        text = ("An account was successfully logged on.    Subject:   Security ID:  S-1-0-0   Account Name:  -   "
                "Account Domain:  -   Logon ID:  0x0    Logon Information:   Logon Type:  "
                f"{lt}   Restricted Admin Mode: -   Virtual Account:  No   Elevated Token:  Yes    Impersonation Level: "
                "Impersonation    New Logon:   Security ID:  S-1-5-21-3623811015-3361044348-30300820-"
                f"{r.randint(1100, 1500)}   Account Name:  {u}   Account Domain:  CORP   Logon ID:  0x{c.hexid(7)}   "
                "Linked Logon ID:  0x0   Network Account Name: -   Network Account Domain: -   Logon GUID:  "
                f"{{{c.hexid(8)}-{c.hexid(4)}-{c.hexid(4)}-{c.hexid(4)}-{c.hexid(12)}}}    Process Information:   "
                "Process ID:  0x0   Process Name:  -    Network Information:   Workstation Name: "
                f"LAPTOP-{c.hexid(5).upper()}   Source Network Address: {src}   Source Port:  {c.port()}    Detailed "
                "Authentication Information:   Logon Process:  Kerberos   Authentication Package: Kerberos   "
                "Transited Services: -   Package Name (NTLM only): -   Key Length:  0")
        return [snare(4624, "Microsoft-Windows-Security-Auditing", "Success Audit", "Logon", text)]
    if x < 0.8:
        u = r.choice(["alice", "bmiller", "j.smith"])
        text = ("An account was logged off.    Subject:   Security ID:  S-1-5-21-3623811015-3361044348-30300820-"
                f"{r.randint(1100, 1500)}   Account Name:  {u}   Account Domain:  CORP   Logon ID:  0x{c.hexid(7)}    "
                "Logon Type:   3    This event is generated when a logon session is destroyed. It may be positively "
                "correlated with a logon event using the Logon ID value. Logon IDs are only unique between reboots on "
                "the same computer.")
        return [snare(4634, "Microsoft-Windows-Security-Auditing", "Success Audit", "Logoff", text)]
    if x < 0.88:
        u = r.choice(["j.smith", "alice"])
        text = ("A user account was locked out.    Subject:   Security ID:  S-1-5-18   Account Name:  DC01$   "
                "Account Domain:  CORP   Logon ID:  0x3e7    Account That Was Locked Out:   Security ID:  "
                f"S-1-5-21-3623811015-3361044348-30300820-{r.randint(1100, 1500)}   Account Name:  {u}    Additional "
                f"Information:   Caller Computer Name: LAPTOP-{c.hexid(5).upper()}")
        return [snare(4740, "Microsoft-Windows-Security-Auditing", "Success Audit", "User Account Management", text)]
    # NXLog JSON to syslog
    eid = r.choice([4625, 4624, 7036])
    stamp = t.strftime("%Y-%m-%d %H:%M:%S")
    if eid == 7036:
        svc = r.choice(["Windows Update", "Print Spooler", "Background Intelligent Transfer Service"])
        state = r.choice(["running", "stopped"])
        js = (f'{{"EventTime":"{stamp}","Hostname":"{host}.corp.internal","Keywords":-9187343239835811840,"EventType":"INFO",'
              f'"SeverityValue":2,"Severity":"INFO","EventID":7036,"SourceName":"Service Control Manager",'
              f'"ProviderGuid":"{{555908d1-a6d7-4695-8e1e-26931d2012f4}}","Version":0,"Task":0,"OpcodeValue":0,'
              f'"RecordNumber":{rec},"ProcessID":{r.randint(500, 900)},"ThreadID":{r.randint(1000, 9000)},"Channel":"System",'
              f'"Message":"The {svc} service entered the {state} state.","param1":"{svc}","param2":"{state}",'
              f'"EventReceivedTime":"{stamp}","SourceModuleName":"eventlog","SourceModuleType":"im_msvistalog"}}')
    else:
        u = r.choice(["alice", "svc_sql", "administrator"])
        src = r.choice(c.lan + c.bad_ips)
        ok = eid == 4624
        js = (f'{{"EventTime":"{stamp}","Hostname":"{host}.corp.internal","EventType":"AUDIT_{"SUCCESS" if ok else "FAILURE"}",'
              f'"EventID":{eid},"SourceName":"Microsoft-Windows-Security-Auditing","RecordNumber":{rec},"Channel":"Security",'
              f'"TargetUserName":"{u}","TargetDomainName":"CORP","LogonType":"{r.choice([3, 10])}",'
              + ('"Status":"0xc000006d","SubStatus":"0xc000006a",' if not ok else "")
              + f'"WorkstationName":"LAPTOP-{c.hexid(5).upper()}","IpAddress":"{src}","IpPort":"{c.port()}",'
              f'"EventReceivedTime":"{stamp}","SourceModuleName":"eventlog","SourceModuleType":"im_msvistalog"}}')
    return [("RAW", f"<14>{syslog_ts(c)} {host} Microsoft-Windows-Security-Auditing[{r.randint(500, 900)}]: {js}"
             if eid != 7036 else f"<14>{syslog_ts(c)} {host} Service_Control_Manager[{r.randint(500, 900)}]: {js}")]


# --------------------------------------------------------------------------- not known on purpose
def g_chatter(c: Ctx) -> list[Event]:
    """In-house applications and one-off scripts: nothing should know these."""
    r = c.r
    x = r.random()
    t = c.now
    if x < 0.18:
        return [("app01", "shop-api", r.randint(2000, 2100), f"INFO order {r.randint(10**5, 10**6)} placed by customer "
                 f"{r.randint(1000, 99999)} total={r.uniform(5, 900):.2f} EUR items={r.randint(1, 9)} took={r.randint(20, 900)}ms", 134)]
    if x < 0.32:
        return [("web02", "gunicorn", r.randint(2000, 2100), f"[{t.strftime('%Y-%m-%d %H:%M:%S')} +0000] [{r.randint(2000, 2100)}] "
                 f"[INFO] Booting worker with pid: {c.pid()}", 134)]
    if x < 0.46:
        return [("app01", "java", r.randint(3000, 3100), f"{t.strftime('%Y-%m-%d %H:%M:%S')},{r.randint(0, 999):03d} INFO  "
                 f"[com.corp.billing.InvoiceJob] (pool-{r.randint(1, 4)}-thread-{r.randint(1, 8)}) Generated "
                 f"{r.randint(1, 60)} invoices for run {c.hexid(8)}", 134)]
    if x < 0.58:
        return [("build01", "backup.sh", c.pid(), f"rsync of /srv/{r.choice(['www', 'git', 'nextcloud'])} to "
                 f"backup-nas:/volume1/nightly finished: {r.randint(100, 90000)} files, {r.uniform(0.1, 40):.1f} GiB "
                 f"in {r.randint(30, 4000)}s", 13)]
    if x < 0.7:
        return [("k8s-node02", "node", c.pid(), f"{{\"level\":30,\"time\":{int(t.timestamp() * 1000)},\"pid\":1,"
                 f"\"hostname\":\"{r.choice(PODS)}\",\"reqId\":\"req-{r.randint(1, 9999)}\",\"msg\":\"request completed\","
                 f"\"responseTime\":{r.uniform(0.5, 400):.3f}}}", 134)]
    if x < 0.8:
        return [("web01", "grafana", 991, f"logger=cleanup t={t.strftime('%Y-%m-%dT%H:%M:%S')}.{r.randint(0, 999):03d}+00:00 "
                 f"level=info msg=\"Completed cleanup jobs\" duration={r.randint(2, 90)}.{r.randint(100, 999)}ms", 30)]
    if x < 0.88:
        return [("mon01", "grafana", 991, f"logger=context userId={r.randint(1, 20)} orgId=1 uname={c.staff()} "
                 f"t={t.strftime('%Y-%m-%dT%H:%M:%S')}.{r.randint(0, 999):03d}+00:00 level=info msg=\"Request Completed\" "
                 f"method=GET path=/api/dashboards/uid/{c.hexid(9)} status=200 remote_addr={r.choice(c.lan)} "
                 f"time_ms={r.randint(1, 90)} duration={r.randint(1, 90)}.{r.randint(0, 999)}ms size={r.randint(100, 90000)} "
                 "referer= handler=/api/dashboards/uid/:uid", 134)]
    return [("build01", "gitlab-runner", 812, f"Job succeeded                                       duration_s="
             f"{r.uniform(10, 900):.6f} job={r.randint(10**5, 10**6)} project={r.randint(10, 90)} runner={c.hexid(8)}", 30)]


def g_system_misc(c: Ctx) -> list[Event]:
    """Ordinary system daemons the library does not cover."""
    r = c.r
    host = H(c)
    x = r.random()
    if x < 0.25:
        return [(host, "rsyslogd", r.randint(400, 700), '[origin software="rsyslogd" swVersion="8.2302.0" x-pid="'
                 f'{r.randint(400, 700)}" x-info="https://www.rsyslog.com"] rsyslogd was HUPed', 46)]
    if x < 0.45:
        return [(host, "dbus-daemon", r.randint(400, 700), "[system] Successfully activated service 'org.freedesktop.timedate1'", 30)]
    if x < 0.55:
        return [(host, "php-fpm8.2", 701, f"[pool www] child {c.pid()} exited with code 0 after "
                 f"{r.uniform(100, 9000):.6f} seconds from start", 30)]
    if x < 0.65:
        return [(host, "snapd", r.randint(400, 900), f"storehelpers.go:{r.randint(700, 800)}: cannot refresh: snap has no updates available: "
                 "\"core22\", \"lxd\", \"snapd\"", 30)]
    if x < 0.8:
        return [(host, "polkitd", r.randint(400, 900), f"Registered Authentication Agent for unix-process:{c.pid()}:"
                 f"{r.randint(10**6, 10**8)} (system bus name :1.{r.randint(100, 999)} [/usr/bin/pkttyagent --notify-fd 5 "
                 "--fallback], object path /org/freedesktop/PolicyKit1/AuthenticationAgent, locale en_US.UTF-8)", 38)]
    return [(host, "smartd", r.randint(400, 900), f"Device: /dev/sd{r.choice('ab')} [SAT], SMART Usage Attribute: 194 "
             f"Temperature_Celsius changed from {r.randint(30, 40)} to {r.randint(30, 45)}", 30)]


# Target share of LINES per source, in percent (normalised; sequences are several lines each).
MIX: list[tuple[str, Gen, float]] = [
    ("sshd-login", g_ssh_login, 8), ("sshd-attack", g_ssh_attack, 11), ("sshd-misc", g_ssh_misc, 0.8),
    ("sudo", g_sudo, 5), ("su", g_su, 1), ("pam", g_pam_misc, 1.2),
    ("cron", g_cron, 7), ("cron-misc", g_cron_misc, 0.8),
    ("systemd", g_systemd, 6), ("systemd-family", g_systemd_family, 0.8),
    ("kernel-firewall", g_kernel_fw, 5), ("kernel", g_kernel, 2.5),
    ("postfix-in", g_postfix_in, 4), ("postfix-out", g_postfix_out, 3.5), ("postfix-abuse", g_postfix_abuse, 2.5),
    ("postfix-misc", g_postfix_misc, 0.6),
    ("nginx", g_nginx, 10), ("apache", g_apache, 5),
    ("dovecot", g_dovecot, 1.6), ("haproxy", g_haproxy, 2.5), ("bind", g_bind, 1.6), ("dhcpd", g_dhcpd, 1.5),
    ("time", g_time, 1.2), ("openvpn", g_openvpn, 1.2), ("fail2ban", g_fail2ban, 1), ("mysql", g_mysql, 0.9),
    ("postgresql", g_postgres, 1.2), ("redis", g_redis, 0.7), ("kube-docker", g_kube, 1.3), ("samba", g_samba, 0.8),
    ("ftp", g_ftp, 0.8), ("clamav", g_clamav, 0.6), ("monitoring", g_monitoring, 1),
    ("cisco-ios", g_cisco_ios, 0.6), ("cisco-asa", g_cisco_asa, 0.8), ("juniper", g_juniper, 0.5),
    ("fortinet", g_fortinet, 0.7), ("windows", g_windows, 0.9),
    ("chatter", g_chatter, 6.5), ("system-misc", g_system_misc, 1.8),
]


def event_weights(seed: int) -> list[float]:
    """Per-source pick weights that give MIX's line shares: share / mean lines per event."""
    probe = Ctx(seed ^ 0x5EED)
    out = []
    for _, gen, share in MIX:
        mean = sum(len(gen(probe)) for _ in range(400)) / 400
        out.append(share / mean)
    return out


# ------------------------------------------------------------------------------------- headers
def syslog_ts(c: Ctx) -> str:
    t = c.now
    return f"{MONTHS[t.month - 1]} {t.day:2d} {t.hour:02d}:{t.minute:02d}:{t.second:02d}"


def render(c: Ctx, ev: Event) -> str:
    if ev[0] == "RAW":
        return ev[1]
    host, prog, pid, msg, pri = ev
    tag = f"{prog}[{pid}]" if pid is not None else prog
    r = c.r
    t = c.now
    style = r.random()
    if style < 0.62:  # RFC 3164 as sent on the wire
        return f"<{pri}>{syslog_ts(c)} {host} {tag}: {msg}"
    if style < 0.75:  # traditional file format, no PRI
        return f"{syslog_ts(c)} {host} {tag}: {msg}"
    if style < 0.9:  # rsyslog RSYSLOG_FileFormat
        return f"{t.strftime('%Y-%m-%dT%H:%M:%S')}.{t.microsecond:06d}+00:00 {host} {tag}: {msg}"
    sd = '[timeQuality tzKnown="1" isSynced="1" syncAccuracy="' + str(r.randint(10000, 900000)) + '"]' \
        if r.random() < 0.5 else "-"
    return (f"<{pri}>1 {t.strftime('%Y-%m-%dT%H:%M:%S')}.{t.microsecond:06d}Z {host}.corp.internal {prog} "
            f"{pid if pid is not None else '-'} - {sd} {msg}")


def generate(seed: int, lines: int) -> tuple[list[str], Counter[str]]:
    c = Ctx(seed)
    c.now = START
    names = [m[0] for m in MIX]
    weights = event_weights(seed)
    gens = {m[0]: m[1] for m in MIX}
    out: list[str] = []
    kinds: Counter[str] = Counter()
    while len(out) < lines:
        name = c.r.choices(names, weights)[0]
        for ev in gens[name](c):
            c.now += timedelta(seconds=c.r.expovariate(1 / 18), microseconds=c.r.randint(0, 999999))
            out.append(render(c, ev))
            kinds[name] += 1
            if len(out) >= lines:
                break
    return out, kinds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=20240311)
    ap.add_argument("--lines", type=int, default=4200)
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args(argv)
    lines, kinds = generate(a.seed, a.lines)
    text = "\n".join(lines) + "\n"
    a.out.write_text(text, encoding="utf-8")
    print(f"{a.out}: {len(lines)} lines, {len(text.encode()):,} bytes (seed {a.seed})")
    for name, n in kinds.most_common():
        print(f"  {name:<16} {n:5d}  {100 * n / len(lines):5.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
