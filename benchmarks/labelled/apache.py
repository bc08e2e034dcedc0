"""Apache httpd 2.4 error log messages (the text after the [module:level] [pid] header)."""

from __future__ import annotations

import random

from benchmarks.labelled import System
from benchmarks.labelled.values import word

PHP_ERRORS = [
    "PHP Warning:  Undefined variable $user in /var/www/html/index.php on line 42",
    "PHP Fatal error:  Uncaught Error: Call to undefined function mysql_connect()",
    "PHP Notice:  Trying to access array offset on value of type null",
    "PHP Deprecated:  Function create_function() is deprecated",
]
SCRIPT_ERRORS = ["Premature end of script headers", "End of script output before headers",
                 "malformed header from script 'status.cgi': Bad header: Content-Tpye"]


def _version(rng: random.Random) -> str:
    return f"2.4.{rng.randint(29, 62)}"


SYSTEM = System("apache", (
    "[client {ipport}] AH01630: client denied by server configuration: {path}",
    "[client {ipport}] AH00128: File does not exist: {path}",
    "[client {ipport}] AH01071: Got error '{phperr}'",
    "[client {ipport}] AH01797: client denied by server configuration: {path}, referer: {url}",
    "[client {ipport}] AH01276: Cannot serve directory {dir}/: No matching DirectoryIndex "
    "(index.html,index.php) found, and server-generated directory index forbidden by Options "
    "directive",
    "[client {ipport}] AH00957: HTTP: attempt to connect to {ipport} ({hostword}) failed",
    "AH00959: ap_proxy_connect_backend disabling worker for ({hostword}) for {small}s",
    "[client {ipport}] AH01617: user {user}: authentication failure for \"{urlpath}\": "
    "Password Mismatch",
    "[client {ipport}] AH01618: user {user} not found: {urlpath}",
    "[client {ipport}] AH01215: {scripterr}: {path}",
    "[client {ipport}] AH01102: error reading status line from remote server {hostword}:{port}",
    "[client {ipport}] AH00898: Error reading from remote server returned by {urlpath}",
    "[client {ipport}] AH02032: Hostname {fqdn} provided via SNI and hostname {fqdn} provided "
    "via HTTP have no compatible SSL setup",
    "AH00169: caught SIGTERM, shutting down",
    "AH00163: Apache/{version} (Unix) OpenSSL/3.0.{small} configured -- resuming normal "
    "operations",
    "AH00094: Command line: '/usr/sbin/httpd -D FOREGROUND'",
    "AH00171: Graceful restart requested, doing restart",
    "AH00493: SIGUSR1 received.  Doing graceful restart",
    "AH00161: server reached MaxRequestWorkers setting, consider raising the MaxRequestWorkers "
    "setting",
    "AH00288: scoreboard is full, not at MaxRequestWorkers",
    "[client {ipport}] AH00124: Request exceeded the limit of 10 internal redirects due to "
    "probable configuration error. Use 'LimitInternalRecursion' to increase the limit if "
    "necessary. Use 'LogLevel debug' to get a backtrace.",
    "[client {ipport}] AH10244: invalid URI path ({urlpath})",
    "AH01909: {fqdn}:443:0 server certificate does NOT include an ID which matches the server "
    "name",
    "AH00558: httpd: Could not reliably determine the server's fully qualified domain name, "
    "using {ip}. Set the 'ServerName' directive globally to suppress this message",
    "[client {ipport}] script not found or unable to stat: {path}",
    "AH00492: caught SIGWINCH, shutting down gracefully",
    "[client {ipport}] AH02429: Response header name '{hdrname}' contains invalid characters, "
    "aborting request",
    "AH00687: Command line: '/usr/sbin/apache2 -k {action}'",
    "[client {ipport}] AH01264: mod_rewrite: maximum number of internal redirects reached. "
    "Assuming configuration error. Use 'RewriteOptions MaxRedirects' to increase the limit "
    "if neccessary.",
    "AH02282: No slotmem from mod_heartmonitor",
    "[client {ipport}] AH00135: Invalid method in request {junk}",
    "child pid {num} exit signal {signal} ({small}), possible coredump in {dir}",
), {
    "phperr": word(PHP_ERRORS),
    "scripterr": word(SCRIPT_ERRORS),
    "version": _version,
    "hdrname": word(["X-Forwarded For", "Set Cookie", "X Frame"]),
    "action": word(["start", "graceful", "restart", "stop"]),
    "signal": word(["Segmentation fault", "Aborted", "Bus error"]),
    "junk": word(["\\x16\\x03\\x01", "GET / HTTP/1.1 GET", "\\x05\\x01\\x00", "SSTP_DUPLEX_POST"]),
})
