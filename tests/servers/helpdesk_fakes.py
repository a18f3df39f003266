"""Zammad and GLPI on 127.0.0.1 as their REST API documentation shows them: neither can
run here (Zammad needs Elasticsearch and its own packages, GLPI is not in Debian 12), so
these in-memory servers answer the calls Vigie makes with the documented shapes
(docs.zammad.org API > Tickets, Articles, Time Accounting; GLPI's ``apirest.md``:
initSession, search, add, update, sub items). ``staff_*`` do what an agent would there.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.servers.loopback import LOOPBACK


def _zammad_time() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _glpi_time() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _serve(self) -> None:
        server: FakeHelpdesk = self.server  # type: ignore[assignment]
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        parts = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        with server.lock:
            server.calls.append((self.command, parts.path))
            status, answer = server.answer(self.command, parts.path, query, body, self.headers)
        data = b"" if answer is None else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _serve


class FakeHelpdesk(ThreadingHTTPServer):
    """The common part: a server thread, a lock, the calls seen."""

    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__((LOOPBACK, 0), _Handler)
        self.lock = threading.Lock()
        self.calls: list[tuple[str, str]] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.server_address[1]}"

    def __enter__(self) -> FakeHelpdesk:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=10)

    def answer(
        self, method: str, path: str, query: dict[str, str], body: Any, headers: Any
    ) -> tuple[int, Any]:
        raise NotImplementedError


class FakeZammad(FakeHelpdesk):
    """Zammad's /api/v1: tickets (create, show with expand, update, search), articles,
    time accountings, users. Token ``TOKEN``; agent 3 is Bob Smith, the API user is 2."""

    TOKEN = "zammad-token"
    AGENT = 3

    def __init__(self) -> None:
        super().__init__()
        self.tickets: dict[int, dict[str, Any]] = {}
        self.articles: list[dict[str, Any]] = []
        self.times: list[dict[str, Any]] = []
        self.users = {
            1: {"id": 1, "login": "-", "firstname": "-", "lastname": ""},
            2: {"id": 2, "login": "vigie", "firstname": "Vigie", "lastname": "API"},
            3: {"id": 3, "login": "bob", "firstname": "Bob", "lastname": "Smith"},
        }

    def answer(
        self, method: str, path: str, query: dict[str, str], body: Any, headers: Any
    ) -> tuple[int, Any]:
        if headers.get("Authorization") != f"Token token={self.TOKEN}":
            return 401, {"error": "authentication failed"}
        route = path.removeprefix("/api/v1")
        parts = route.strip("/").split("/")
        if (method, route) == ("POST", "/tickets"):
            return self._create(body, by=2)
        if (method, route) == ("GET", "/tickets/search"):
            wanted = query.get("query", "").removeprefix("title:").strip('"')
            ids = [i for i, t in sorted(self.tickets.items()) if wanted in t["title"]]
            ids = ids[: int(query.get("limit", "50"))]
            return 200, {
                "tickets": ids,
                "tickets_count": len(ids),
                "assets": {"Ticket": {str(i): self.tickets[i] for i in ids}},
            }
        if parts[0] == "tickets" and len(parts) == 2:
            ticket = self.tickets.get(int(parts[1]))
            if ticket is None:
                return 404, {"error": "Couldn't find Ticket"}
            if method == "PUT":
                self._update(ticket, body, by=2)
            return 200, self._shown(ticket, query.get("expand") == "true")
        if parts[0] == "tickets" and parts[2:] == ["time_accountings"]:
            ticket_id = int(parts[1])
            if method == "POST":
                return 201, self._time(ticket_id, body["time_unit"], by=2)
            return 200, [t for t in self.times if t["ticket_id"] == ticket_id]
        if (method, route) == ("POST", "/ticket_articles"):
            article = self._article(body["ticket_id"], body, by=2)
            if body.get("time_unit"):  # booked as time accounting of the article
                self._time(body["ticket_id"], body["time_unit"], 2, article["id"])
            return 201, article
        if parts[:2] == ["ticket_articles", "by_ticket"]:
            return 200, [a for a in self.articles if a["ticket_id"] == int(parts[2])]
        if parts[0] == "users" and method == "GET":
            return 200, self.users[int(parts[1])]
        return 404, {"error": f"no route {method} {path}"}

    def _create(self, body: dict[str, Any], by: int) -> tuple[int, Any]:
        if not body.get("title") or not body.get("group") or not body.get("customer"):
            return 422, {"error": "Need title, group and customer"}
        ticket_id = len(self.tickets) + 1
        now = _zammad_time()
        self.tickets[ticket_id] = {
            "id": ticket_id, "group_id": 1, "priority_id": 2, "state_id": 1,
            "number": str(22000 + ticket_id), "title": body["title"], "owner_id": 1,
            "customer_id": 2, "close_at": None, "last_owner_update_at": None,
            "article_count": 1, "time_unit": None, "updated_by_id": by, "created_by_id": by,
            "created_at": now, "updated_at": now, "state": "new", "group": body["group"],
        }  # fmt: skip
        self._article(ticket_id, body["article"], by)
        return 201, self._shown(self.tickets[ticket_id], False)

    def _article(self, ticket_id: int, body: dict[str, Any], by: int) -> dict[str, Any]:
        user = self.users[by]
        article = {
            "id": len(self.articles) + 1, "ticket_id": ticket_id,
            "from": f"{user['firstname']} {user['lastname']}".strip(), "to": "", "cc": "",
            "subject": body.get("subject"), "body": body["body"],
            "content_type": body.get("content_type", "text/html"),
            "type": body.get("type", "note"), "internal": bool(body.get("internal")),
            "created_by_id": by, "created_at": _zammad_time(), "updated_at": _zammad_time(),
        }  # fmt: skip
        self.articles.append(article)
        return article

    def _time(
        self, ticket_id: int, unit: str, by: int, article: int | None = None
    ) -> dict[str, Any]:
        entry = {
            "id": len(self.times) + 1, "ticket_id": ticket_id, "ticket_article_id": article,
            "time_unit": f"{float(unit):.1f}", "type_id": None, "created_by_id": by,
            "created_at": _zammad_time(), "updated_at": _zammad_time(),
        }  # fmt: skip
        self.times.append(entry)
        return entry

    def _update(self, ticket: dict[str, Any], body: dict[str, Any], by: int) -> None:
        now = _zammad_time()
        if "state" in body:
            ticket["state"] = body["state"]
            ticket["state_id"] = {"new": 1, "open": 2, "closed": 4}[body["state"]]
            if body["state"] == "closed":
                ticket["close_at"] = now
        if "owner_id" in body:
            ticket["owner_id"] = body["owner_id"]
            ticket["last_owner_update_at"] = now
        ticket["updated_by_id"], ticket["updated_at"] = by, now

    def _shown(self, ticket: dict[str, Any], expand: bool) -> dict[str, Any]:
        shown = {k: v for k, v in ticket.items() if k not in ("state", "group")}
        if expand:
            shown["state"], shown["group"] = ticket["state"], ticket["group"]
            shown["owner"] = self.users[ticket["owner_id"]]["login"]
            shown["updated_by"] = self.users[ticket["updated_by_id"]]["login"]
        return shown

    # -- what an agent does in Zammad -----------------------------------------------------

    def staff_take(self, ticket_id: int) -> None:
        with self.lock:
            self._update(self.tickets[ticket_id], {"owner_id": self.AGENT, "state": "open"},
                         self.AGENT)  # fmt: skip

    def staff_work(self, ticket_id: int, minutes: int, note: str) -> None:
        with self.lock:
            body = {"body": note, "type": "note", "internal": True}
            article = self._article(ticket_id, body, self.AGENT)
            self._time(ticket_id, str(minutes), self.AGENT, article["id"])

    def staff_close(self, ticket_id: int) -> None:
        with self.lock:
            self._update(self.tickets[ticket_id], {"state": "closed"}, self.AGENT)


class FakeGlpi(FakeHelpdesk):
    """GLPI's apirest.php: initSession, search/Ticket, Ticket add/update, the sub items
    ITILFollowup, TicketTask and Log. App token ``APP``, user token ``USER``; user 5 is
    the technician "tech"."""

    APP, USER = "glpi-app-token", "glpi-user-token"
    SESSION = "83af7e620c83a50a18d3eac2f6ed05a3ca0bea62"

    def __init__(self) -> None:
        super().__init__()
        self.tickets: dict[int, dict[str, Any]] = {}
        self.subitems: dict[str, list[dict[str, Any]]] = {"ITILFollowup": [], "TicketTask": []}
        self.logs: list[dict[str, Any]] = []

    def answer(
        self, method: str, path: str, query: dict[str, str], body: Any, headers: Any
    ) -> tuple[int, Any]:
        if headers.get("App-Token") != self.APP:
            return 400, ["ERROR_WRONG_APP_TOKEN_PARAMETER", "parameter app_token is missing"]
        route = path.removeprefix("/apirest.php").strip("/").split("/")
        if route == ["initSession"]:
            if headers.get("Authorization") != f"user_token {self.USER}":
                return 401, ["ERROR_GLPI_LOGIN_USER_TOKEN", "parameter user_token seems invalid"]
            return 200, {"session_token": self.SESSION}
        if headers.get("Session-Token") != self.SESSION:
            return 401, ["ERROR_SESSION_TOKEN_INVALID", "session_token seems invalid"]
        if route == ["search", "Ticket"]:
            wanted = query.get("criteria[0][value]", "")
            rows = [{"1": t["name"], "2": t["id"], "80": "Root entity"}
                    for t in self.tickets.values() if wanted in t["name"]]  # fmt: skip
            return 200, {"totalcount": len(rows), "count": len(rows), "data": rows}
        if route == ["Ticket"] and method == "POST":
            data = body["input"]
            ticket_id = len(self.tickets) + 1
            self.tickets[ticket_id] = {"id": ticket_id, "name": data["name"],
                                       "content": data["content"], "status": 1,
                                       "entities_id": data["entities_id"]}  # fmt: skip
            return 201, {"id": ticket_id, "message": ""}
        if route[0] == "Ticket" and len(route) == 2 and method == "PUT":
            ticket = self.tickets[int(route[1])]
            self._status(ticket, body["input"]["status"], "glpi (2)")
            return 200, [{route[1]: True, "message": ""}]
        if route[0] == "Ticket" and len(route) == 3:
            ticket_id, kind = int(route[1]), route[2]
            if kind == "Log":
                return 200, [log for log in self.logs if log["items_id"] == ticket_id]
            if method == "POST":
                return 201, self._sub(kind, ticket_id, body["input"], "glpi")
            return 200, [i for i in self.subitems[kind] if i["_ticket"] == ticket_id]
        return 400, ["ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM", f"{path}"]

    def _sub(self, kind: str, ticket_id: int, data: dict[str, Any], user: str) -> dict[str, Any]:
        item = dict(data, id=len(self.subitems[kind]) + 1, _ticket=ticket_id, users_id=user,
                    date_creation=_glpi_time(), date=data.get("date") or _glpi_time())  # fmt: skip
        self.subitems[kind].append(item)
        return {"id": item["id"], "message": ""}

    def _status(self, ticket: dict[str, Any], status: int, user: str) -> None:
        names = {1: "New", 2: "Processing (assigned)", 5: "Solved", 6: "Closed"}
        self.logs.append({
            "id": len(self.logs) + 1, "itemtype": "Ticket", "items_id": ticket["id"],
            "itemtype_link": "", "linked_action": 0, "user_name": user,
            "date_mod": _glpi_time(), "id_search_option": 12,
            "old_value": f"{names[ticket['status']]} ({ticket['status']})",
            "new_value": f"{names[status]} ({status})",
        })  # fmt: skip
        ticket["status"] = status

    # -- what a technician does in GLPI ---------------------------------------------------

    def staff_take(self, ticket_id: int) -> None:
        with self.lock:
            self._status(self.tickets[ticket_id], 2, "tech (5)")

    def staff_work(self, ticket_id: int, minutes: int, note: str) -> None:
        with self.lock:
            self._sub("ITILFollowup", ticket_id, {"content": note, "is_private": 1}, "tech")
            self._sub(
                "TicketTask", ticket_id, {"content": note, "actiontime": minutes * 60}, "tech"
            )

    def staff_close(self, ticket_id: int) -> None:
        with self.lock:
            self._status(self.tickets[ticket_id], 6, "tech (5)")
