"""A Salesforce org on 127.0.0.1: the REST wire format over real TLS, with faults.

It speaks just enough of the REST API for the sync: query and queryAll (with
SOQL parsed for the fields, WHERE on SystemModstamp / Id / simple fields,
ORDER BY, LIMIT and COUNT()), next-records paths, ``Sforce-Query-Options:
batchSize``, describe, userinfo, error bodies, ``Sforce-Limit-Info``. Its
certificate comes from a throwaway ``trustme`` CA that only a client given
that CA trusts. Faults are injected with ``add_fault``.
"""

from __future__ import annotations

import itertools
import json
import re
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import trustme

from demo.soql import Query, parse_soql
from domain.salesforce_ids import checksum

TOKEN = "00Dfake!session-token"
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
ACCOUNT_FIELDS = {
    "Id": "id",
    "Name": "string",
    "Type": "picklist",
    "Website": "url",
    "Industry": "picklist",
    "IsDeleted": "boolean",
    "MasterRecordId": "reference",
    "SystemModstamp": "datetime",
    "LastModifiedDate": "datetime",
    "BillingAddress": "address",
    "BillingCity": "string",
    "Customer_Since__c": "date",
    "Churn_Date__c": "date",
}
PERSON_FIELDS = {"IsPersonAccount": "boolean", "PersonEmail": "email"}
CONTACT_FIELDS = {
    "Id": "id",
    "Email": "email",
    "AccountId": "reference",
    "LastName": "string",
    "IsDeleted": "boolean",
    "SystemModstamp": "datetime",
    "LastModifiedDate": "datetime",
}
ORG_ID = "00D000000000001EAA"


def sf_time(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


@dataclass
class Fault:
    """Answer a matching request with ``status``/``body``, or change the answer."""

    kind: str  # query, query_more, describe, userinfo, updated, deleted, any
    status: int = 400
    body: Any = None
    times: int = 1
    skip: int = 0
    mutate: Callable[[dict[str, Any]], None] | None = None
    content_type: str = "application/json"
    when: Callable[[str], bool] | None = None  # on the SOQL, for queries
    hits: int = 0


def error_body(code: str, message: str) -> list[dict[str, str]]:
    return [{"message": message, "errorCode": code}]


@dataclass
class _Cursor:
    rows: list[dict[str, Any]]
    batch: int
    version: str


@dataclass
class FakeSalesforce:
    """The org's data, its settings, its faults and what it was asked."""

    ca: trustme.CA
    clock: datetime = EPOCH
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    hidden_fields: set[str] = field(default_factory=set)
    person_accounts: bool = False
    picklist: list[tuple[str, bool]] = field(
        default_factory=lambda: [
            ("Prospect", True),
            ("Customer", True),
            ("Partner", True),
        ]
    )
    faults: list[Fault] = field(default_factory=list)
    log: list[tuple[str, str | None]] = field(default_factory=list)
    max_page: int | None = None
    short_every: int | None = None  # every n-th page is cut to a third
    timeout_over: int | None = None  # QUERY_TIMEOUT when more records match
    max_url: int = 16_384
    api_used: int = 0
    api_limit: int = 100_000
    tokens: set[str] = field(default_factory=lambda: {TOKEN})
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _cursors: dict[str, _Cursor] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _server: ThreadingHTTPServer | None = None

    # -- the server ----------------------------------------------------------

    def start(self) -> str:
        handler = type("Handler", (_Handler,), {"org": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def ca_pem(self) -> str:
        return self.ca.cert_pem.bytes().decode()

    # -- the data ------------------------------------------------------------

    def tick(self, seconds: float = 1) -> datetime:
        self.clock += timedelta(seconds=seconds)
        return self.clock

    def new_id(self, prefix: str) -> str:
        number = next(self._ids)
        id15 = prefix + _base62(number).rjust(12, "0")
        return id15 + checksum(id15)

    def add_account(
        self, name: str, type: str | None = "Customer", **values: Any
    ) -> str:
        stamp = values.pop("stamp", None) or self.tick()
        account_id = values.pop("Id", None) or self.new_id("001")
        with self._lock:
            self.accounts[account_id] = {
                "Id": account_id,
                "Name": name,
                "Type": type,
                "Website": None,
                "Industry": None,
                "IsDeleted": False,
                "MasterRecordId": None,
                "SystemModstamp": stamp,
                "LastModifiedDate": stamp,
                "BillingAddress": None,
                "BillingCity": None,
                "Customer_Since__c": None,
                "Churn_Date__c": None,
                "IsPersonAccount": False,
                "PersonEmail": None,
                **values,
            }
        return account_id

    def update(
        self, record_id: str, stamp: datetime | None = None, **values: Any
    ) -> None:
        """A user edit: both stamps move (a system edit moves only SystemModstamp)."""
        with self._lock:
            record = self.accounts.get(record_id) or self.contacts[record_id]
            system_only = values.pop("system_only", False)
            record.update(values)
            record["SystemModstamp"] = stamp or self.tick()
            if not system_only:
                record["LastModifiedDate"] = record["SystemModstamp"]

    def delete(self, record_id: str) -> None:
        self.update(record_id, IsDeleted=True)

    def undelete(self, record_id: str) -> None:
        self.update(record_id, IsDeleted=False)

    def merge(self, loser: str, survivor: str) -> None:
        """The loser goes to the recycle bin naming its survivor; contacts move."""
        for contact in list(self.contacts.values()):
            if contact["AccountId"] == loser:
                self.update(contact["Id"], AccountId=survivor)
        self.update(loser, IsDeleted=True, MasterRecordId=survivor)
        self.update(survivor)

    def purge(self, record_id: str) -> None:
        with self._lock:
            self.accounts.pop(record_id, None)
            self.contacts.pop(record_id, None)

    def add_contact(
        self, email: str | None, account_id: str | None, **values: Any
    ) -> str:
        stamp = values.pop("stamp", None) or self.tick()
        contact_id = self.new_id("003")
        with self._lock:
            self.contacts[contact_id] = {
                "Id": contact_id,
                "Email": email,
                "AccountId": account_id,
                "LastName": "Contact",
                "IsDeleted": False,
                "SystemModstamp": stamp,
                "LastModifiedDate": stamp,
                **values,
            }
        return contact_id

    def add_fault(
        self, kind: str, status: int = 400, body: Any = None, **options: Any
    ) -> Fault:
        fault = Fault(kind, status, body, **options)
        self.faults.append(fault)
        return fault

    def queries(self) -> list[str]:
        return [soql for kind, soql in self.log if soql is not None and kind == "query"]

    # -- answering -----------------------------------------------------------

    def fields_of(self, sobject: str) -> dict[str, str]:
        if sobject == "Contact":
            known = dict(CONTACT_FIELDS)
        elif sobject == "Account":
            known = ACCOUNT_FIELDS | (PERSON_FIELDS if self.person_accounts else {})
        else:
            known = {"Id": "id", "Name": "string"}
        return {
            k: v for k, v in known.items() if f"{sobject}.{k}" not in self.hidden_fields
        }

    def run_query(
        self, soql: str, include_deleted: bool, batch: int, version: str
    ) -> Any:
        query = parse_soql(soql)
        fields = self.fields_of(query.sobject)
        for name in [*query.fields, *query.referenced]:
            if name not in fields and name != "COUNT()":
                return 400, error_body(
                    "INVALID_FIELD",
                    f"\n{name}\n^\nERROR at Row:1:Column:8\nNo such column '{name}' on"
                    f" entity '{query.sobject}'. If you are attempting to use a custom"
                    " field, be sure to append the '__c' after the custom field name.",
                )
        rows = self._matching(query, include_deleted)
        if self.timeout_over is not None and len(rows) > self.timeout_over:
            return 400, error_body(
                "QUERY_TIMEOUT", "Your query request was running for too long."
            )
        if query.count:
            return 200, {"totalSize": len(rows), "done": True, "records": []}
        rows = rows[: query.limit] if query.limit is not None else rows
        shaped = [self._shape(query, row, version) for row in rows]
        return 200, self._page(_Cursor(shaped, batch, version), self._locator(), 0)

    def _matching(self, query: Query, include_deleted: bool) -> list[dict[str, Any]]:
        with self._lock:
            if query.sobject == "Organization":
                return [{"Id": ORG_ID, "Name": "Fake Org"}]
            table = self.accounts if query.sobject == "Account" else self.contacts
            rows = [dict(row) for row in table.values()]
        rows = [r for r in rows if include_deleted or not r.get("IsDeleted")]
        rows = [r for r in rows if query.where(r)]
        for name, descending in reversed(query.order):
            rows.sort(key=_sort_key_of(name), reverse=descending)
        return rows

    def _shape(self, query: Query, row: dict[str, Any], version: str) -> dict[str, Any]:
        url = f"/services/data/v{version}/sobjects/{query.sobject}/{row['Id']}"
        shaped: dict[str, Any] = {"attributes": {"type": query.sobject, "url": url}}
        for name in query.fields:
            value = row.get(name)
            shaped[name] = sf_time(value) if isinstance(value, datetime) else value
        return shaped

    def _locator(self) -> str:
        return f"01gFAKE{next(self._ids):08d}"

    def _page(self, cursor: _Cursor, locator: str, offset: int) -> dict[str, Any]:
        size = min(cursor.batch, self.max_page or cursor.batch)
        number = offset // max(size, 1)
        if self.short_every and number % self.short_every == 1:
            size = max(1, size // 3)
        records = cursor.rows[offset : offset + size]
        page: dict[str, Any] = {"totalSize": len(cursor.rows), "records": records}
        following = offset + len(records)
        page["done"] = following >= len(cursor.rows)
        if not page["done"]:
            self._cursors[locator] = cursor
            page["nextRecordsUrl"] = (
                f"/services/data/v{cursor.version}/query/{locator}-{following}"
            )
        return page

    def more(self, locator: str, offset: int) -> Any:
        cursor = self._cursors.get(locator)
        if cursor is None:
            return 400, error_body("INVALID_QUERY_LOCATOR", "invalid query locator")
        return 200, self._page(cursor, locator, offset)

    def replicated(
        self, sobject: str, what: str, query: dict[str, list[str]]
    ) -> tuple[int, Any]:
        """getUpdated / getDeleted: ids changed or deleted within [start, end]."""
        try:
            start = _replication_date(query["start"][0])
            end = _replication_date(query["end"][0])
        except (KeyError, ValueError):
            return 400, error_body("MALFORMED_QUERY", "start and end are required")
        oldest = self.clock - timedelta(days=30 if what == "updated" else 15)
        if start < oldest:
            return 400, error_body(
                "INVALID_REPLICATION_DATE",
                f"startDate cannot be more than {(self.clock - oldest).days} days ago",
            )
        table = self.accounts if sobject == "Account" else self.contacts
        with self._lock:
            rows = [
                r
                for r in table.values()
                if start <= r["SystemModstamp"] <= end
                and bool(r.get("IsDeleted")) == (what == "deleted")
            ]
        if what == "updated":
            return 200, {
                "ids": [r["Id"] for r in rows],
                "latestDateCovered": sf_time(end),
            }
        return 200, {
            "deletedRecords": [
                {"id": r["Id"], "deletedDate": sf_time(r["SystemModstamp"])}
                for r in rows
            ],
            "earliestDateAvailable": sf_time(oldest),
            "latestDateCovered": sf_time(end),
        }

    def describe(self, sobject: str) -> dict[str, Any]:
        fields = []
        for name, kind in self.fields_of(sobject).items():
            item: dict[str, Any] = {"name": name, "type": kind, "label": name}
            item["picklistValues"] = (
                [
                    {"value": v, "label": v, "active": active, "defaultValue": False}
                    for v, active in self.picklist
                ]
                if name == "Type"
                else []
            )
            fields.append(item)
        return {"name": sobject, "queryable": True, "fields": fields}


class _Handler(BaseHTTPRequestHandler):
    org: FakeSalesforce
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        org = self.org
        with org._lock:
            org.api_used += 1
        if len(self.path) > org.max_url:
            return self._send(
                414, "<html><body>414 URI Too Long</body></html>", "text/html"
            )
        if self.headers.get("Authorization") != f"Bearer {next(iter(org.tokens), '')}":
            return self._send(
                401, error_body("INVALID_SESSION_ID", "Session expired or invalid")
            )
        kind, soql = _kind_of(self.path)
        org.log.append((kind, soql))
        fault = self._fault(kind, soql)
        if fault is not None and fault.mutate is None:
            return self._send(fault.status, fault.body, fault.content_type)
        if org.api_used > org.api_limit:
            return self._send(
                403,
                error_body("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
            )
        status, body = self._answer(kind, soql)
        if fault is not None and fault.mutate is not None and status == 200:
            fault.mutate(body)
        self._send(status, body)

    def _fault(self, kind: str, soql: str | None) -> Fault | None:
        with self.org._lock:
            for fault in self.org.faults:
                if fault.kind not in (kind, "any") or fault.hits >= fault.times:
                    continue
                if fault.when is not None and not fault.when(soql or ""):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.hits += 1
                return fault
        return None

    def _answer(self, kind: str, soql: str | None) -> tuple[int, Any]:
        org, parts = self.org, urlsplit(self.path).path.strip("/").split("/")
        version = parts[2][1:] if len(parts) > 2 and parts[0] == "services" else "59.0"
        batch = _batch_size(self.headers.get("Sforce-Query-Options", ""))
        if kind == "query":
            return org.run_query(soql or "", "queryAll" in self.path, batch, version)
        if kind == "query_more":
            locator, _, offset = parts[-1].rpartition("-")
            return org.more(locator, int(offset))
        if kind == "describe":
            return 200, org.describe(parts[-2])
        if kind in ("updated", "deleted"):
            query = parse_qs(urlsplit(self.path).query)
            return org.replicated(parts[-2], kind, query)
        if kind == "userinfo":
            return 200, {
                "user_id": "005000000000001AAA",
                "organization_id": ORG_ID,
                "preferred_username": "sync@fake.example",
            }
        return 404, error_body("NOT_FOUND", "The requested resource does not exist")

    def _send(
        self, status: int, body: Any, content_type: str = "application/json"
    ) -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type};charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header(
            "Sforce-Limit-Info", f"api-usage={self.org.api_used}/{self.org.api_limit}"
        )
        self.end_headers()
        self.wfile.write(data)


def _kind_of(path: str) -> tuple[str, str | None]:
    parts = urlsplit(path)
    if parts.path.endswith("/oauth2/userinfo"):
        return "userinfo", None
    if parts.path.endswith("/describe"):
        return "describe", None
    replication = re.search(r"/sobjects/\w+/(updated|deleted)/?$", parts.path)
    if replication:
        return replication[1], None
    if re.search(r"/query(All)?/?$", parts.path):
        return "query", parse_qs(parts.query).get("q", [""])[0]
    if re.search(r"/query(All)?/[^/]+-\d+$", parts.path):
        return "query_more", None
    return "other", None


def _replication_date(text: str) -> datetime:
    instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise ValueError("a replication date needs an offset")
    return instant.astimezone(UTC)


def _batch_size(header: str) -> int:
    match = re.search(r"batchSize=(\d+)", header)
    return max(200, min(2000, int(match[1]))) if match else 2000


def _base62(number: int) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    text = ""
    while number:
        number, digit = divmod(number, 62)
        text = alphabet[digit] + text
    return text or "0"


def _sort_key_of(name: str) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    def key(row: dict[str, Any]) -> tuple[int, Any]:
        value = row.get(name)
        if value is None:
            return (0, "")
        return (1, value.timestamp() if isinstance(value, datetime) else value)

    return key
