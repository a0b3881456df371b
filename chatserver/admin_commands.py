"""``chatserver admin``: the administration API from a terminal.

It talks to the running server over HTTP (``/api/admin``, see
docs/admin-openapi.json) and never writes the database itself: the server
holds the audit chain's head and the live pools, so every change goes
through it and is audited there.

    chatserver admin --user admin users list
    chatserver admin --user admin users add eva --name "Eva Ek" --roles nurse --pools nurse_1177
    chatserver admin --user admin pools set vc_nurse --hours mon-fri=08:00-16:00
    chatserver admin --user admin phrases set nurse_1177 hej "Hej {patient}!"

The password comes from ``CHATSERVER_ADMIN_PASSWORD`` or a prompt on the
terminal (without one, the variable is required); a token from ``--token``
or ``CHATSERVER_ADMIN_TOKEN`` skips the login. A session the command opened
itself is closed when it ends, also on error: an administrator's token left
valid for the whole session lifetime is worth stealing.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

P = "/api/admin"


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code} ({status}): {message}")


class NoPassword(Exception):
    """Nothing in the environment and no terminal to ask on."""


class Api:
    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as e:
            with e:
                raw = e.read()
            try:
                err = json.loads(raw)["error"]
                where = f" [{err['field']}]" if err.get("field") else ""
                raise ApiError(e.code, err["code"], err["message"] + where) from None
            except (ValueError, KeyError, TypeError):
                raise ApiError(e.code, "http", raw[:200].decode("utf-8", "replace")) from None

    def login(self, username: str, password: str) -> None:
        res = self.call("POST", "/api/login/staff", {"username": username, "password": password})
        self.token = str(res["token"])

    def logout(self) -> None:
        """End the session of ``token`` on the server (it revokes the token)."""
        self.call("POST", "/api/logout")
        self.token = None


def _csv(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def _yes(text: str) -> bool:
    if text.lower() in ("yes", "true", "1", "on"):
        return True
    if text.lower() in ("no", "false", "0", "off"):
        return False
    raise argparse.ArgumentTypeError(f"yes or no, not {text!r}")


def _hours(text: str) -> dict[str, str]:
    """``mon-fri=08:00-16:00;sat=10:00-14:00`` (or ``always`` / ``''``)."""
    if text.strip() in ("", "always"):
        return {}
    out: dict[str, str] = {}
    for part in text.split(";"):
        days, sep, times = part.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"{part!r}: write DAYS=HH:MM-HH:MM")
        out[days.strip()] = times.strip()
    return out


def _q(text: str) -> str:
    return urllib.parse.quote(text, safe=":")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("admin", help="users, roles, pools, hours, entrances, phrases (over HTTP)")
    p.add_argument("--url", help="the server (default: [server] host and port of the config)")
    p.add_argument("--user", default=os.environ.get("CHATSERVER_ADMIN_USER", "admin"))
    p.add_argument("--token", default=os.environ.get("CHATSERVER_ADMIN_TOKEN"))
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--config", dest="config_sub", help=argparse.SUPPRESS)
    groups = p.add_subparsers(dest="group", required=True)

    groups.add_parser("roles", help="list the staff roles")
    _users_parser(groups)
    _settings_parsers(groups)
    p.set_defaults(run=run)


def _users_parser(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = groups.add_parser("users").add_subparsers(dest="verb", required=True)
    users.add_parser("list")
    users.add_parser("show").add_argument("username")
    add = users.add_parser("add", help="password from CHATSERVER_NEW_PASSWORD or a prompt")
    add.add_argument("username")
    add.add_argument("--name", required=True)
    add.add_argument("--roles", type=_csv, required=True, help="comma-separated")
    add.add_argument("--pools", type=_csv, default=[], help="comma-separated")
    st = users.add_parser("set")
    st.add_argument("username")
    st.add_argument("--name")
    st.add_argument("--roles", type=_csv)
    st.add_argument("--pools", type=_csv)
    onoff = st.add_mutually_exclusive_group()
    onoff.add_argument("--disable", dest="disabled", action="store_const", const=True)
    onoff.add_argument("--enable", dest="disabled", action="store_const", const=False)
    users.add_parser("password", help="from CHATSERVER_NEW_PASSWORD or a prompt").add_argument(
        "username"
    )


def _settings_parsers(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pools = groups.add_parser("pools").add_subparsers(dest="verb", required=True)
    pools.add_parser("list")
    pools.add_parser("show").add_argument("key")
    ps = pools.add_parser("set", help="change the given fields; the rest stay")
    ps.add_argument("key")
    ps.add_argument("--name")
    ps.add_argument("--hours", type=_hours, help="mon-fri=08:00-16:00;sat=10:00-14:00 or always")
    ps.add_argument("--handover-to", help="pool that takes waiting cases at closing ('' = none)")

    ents = groups.add_parser("entrances").add_subparsers(dest="verb", required=True)
    ents.add_parser("list")
    ents.add_parser("show").add_argument("key")
    es = ents.add_parser("set", help="change the given fields; the rest stay")
    es.add_argument("key")
    es.add_argument("--name")
    es.add_argument("--pool")
    es.add_argument("--unit")
    es.add_argument("--urgency", type=int)
    for flag in ("triage", "describe", "listing-check"):
        es.add_argument(f"--{flag}", type=_yes, metavar="yes|no")
    ents.add_parser("remove").add_argument("key")

    phr = groups.add_parser("phrases").add_subparsers(dest="verb", required=True)
    phr.add_parser("list").add_argument("--scope", help="a pool or personal:USERNAME")
    pset = phr.add_parser("set")
    for a in ("scope", "key", "text"):
        pset.add_argument(a)
    prm = phr.add_parser("remove")
    prm.add_argument("scope")
    prm.add_argument("key")


def ask_password(prompt: str, env: str, otherwise: str = "") -> str:
    """``env``, or a prompt on the terminal. Without a terminal getpass would
    read stdin and fail with EOFError at its end (cron, CI, ``< /dev/null``),
    so that case is a clear error naming ``env`` (and ``otherwise``)."""
    found = os.environ.get(env)
    if found:
        return found
    if not _has_terminal():
        raise NoPassword(f"no terminal to ask for a password: set {env}{otherwise}")
    try:
        return getpass.getpass(prompt)
    except EOFError:  # end of input at the prompt
        raise NoPassword(f"no password given: set {env}{otherwise}") from None


def _has_terminal() -> bool:
    """Whether getpass can prompt: on the controlling terminal, or on stdin."""
    try:
        with open("/dev/tty", "rb"):
            return True
    except OSError:
        return sys.stdin is not None and sys.stdin.isatty()


def run(args: argparse.Namespace, default_url: str) -> int:
    api = Api(args.url or default_url, args.token)
    try:
        result = _logged_in(api, args)
    except (ApiError, NoPassword) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except urllib.error.URLError as e:
        print(f"error: cannot reach {api.url}: {e.reason}", file=sys.stderr)
        return 1
    _print(result, args.json)
    return 0


def _logged_in(api: Api, args: argparse.Namespace) -> Any:
    """The command's result, run with the caller's token or a session of its
    own that is logged out again however the command ends (a given token is
    the caller's to keep)."""
    if api.token is not None:
        return _dispatch(api, args)
    password = ask_password(
        f"password for {args.user}: ", "CHATSERVER_ADMIN_PASSWORD", " or pass --token"
    )
    api.login(args.user, password)
    try:
        return _dispatch(api, args)
    finally:
        _logout(api)


def _logout(api: Api) -> None:
    """Best effort: a failed logout is reported but does not change the
    command's outcome; the session then ends when it expires."""
    try:
        api.logout()
    except (ApiError, OSError) as e:  # OSError: URLError, timeouts
        print(
            f"warning: could not log out, the session stays until it expires: {e}", file=sys.stderr
        )


def _dispatch(api: Api, a: argparse.Namespace) -> Any:
    g, v = a.group, getattr(a, "verb", None)
    if g == "roles":
        return api.call("GET", f"{P}/roles")
    if g == "users":
        if v == "list":
            return api.call("GET", f"{P}/users")
        if v == "show":
            return api.call("GET", f"{P}/users/{_q(a.username)}")
        if v == "add":
            body = {"username": a.username, "name": a.name, "roles": a.roles, "pools": a.pools}
            body["password"] = ask_password("new password: ", "CHATSERVER_NEW_PASSWORD")
            return api.call("POST", f"{P}/users", body)
        if v == "set":
            changes = {k: getattr(a, k) for k in ("name", "roles", "pools", "disabled")}
            body = {k: x for k, x in changes.items() if x is not None}
            return api.call("PATCH", f"{P}/users/{_q(a.username)}", body)
        pw = ask_password("new password: ", "CHATSERVER_NEW_PASSWORD")
        return api.call("POST", f"{P}/users/{_q(a.username)}/password", {"password": pw})
    if g in ("pools", "entrances"):
        base = f"{P}/{g}"
        if v == "list":
            return api.call("GET", base)
        if v == "show":
            return api.call("GET", f"{base}/{_q(a.key)}")
        if v == "remove":
            return api.call("DELETE", f"{base}/{_q(a.key)}")
        return api.call("PUT", f"{base}/{_q(a.key)}", _merged(api, base, a))
    if v == "list":
        query = f"?scope={_q(a.scope)}" if a.scope else ""
        return api.call("GET", f"{P}/phrases{query}")
    path = f"{P}/phrases/{_q(a.scope)}/{_q(a.key)}"
    if v == "set":
        return api.call("PUT", path, {"text": a.text})
    return api.call("DELETE", path)


_POOL_FIELDS = ("name", "hours", "handover_to")
_ENTRANCE_FIELDS = ("name", "pool", "triage", "describe", "listing_check", "urgency", "unit")


def _merged(api: Api, base: str, a: argparse.Namespace) -> dict[str, Any]:
    """The current object (if any) with the given fields changed, for PUT."""
    fields = _POOL_FIELDS if base.endswith("pools") else _ENTRANCE_FIELDS
    try:
        current = api.call("GET", f"{base}/{_q(a.key)}")
    except ApiError as e:
        if "not_found" not in str(e):
            raise
        current = {}
    body = {k: current[k] for k in fields if k in current}
    body.update({k: getattr(a, k) for k in fields if getattr(a, k, None) is not None})
    return body


def _print(result: Any, as_json: bool) -> None:
    if as_json or not isinstance(result, list):
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return
    for row in result:
        print("  ".join(f"{k}={_cell(x)}" for k, x in row.items()))


def _cell(x: Any) -> str:
    if isinstance(x, list):
        return ",".join(map(str, x))
    if isinstance(x, dict):
        return ";".join(f"{d}={t}" for d, t in x.items()) or "always"
    return str(x)
