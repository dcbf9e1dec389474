"""The simple-salesforce client of one connection, and the calls the sync makes.

simple-salesforce is synchronous: every call here runs in a thread through
``asyncio.to_thread`` so the event loop never waits on Salesforce.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError

from domain.models import SalesforceAuth, SalesforceConnection
from domain.salesforce.errors import SessionExpired, Transient, classify

log = logging.getLogger(__name__)
T = TypeVar("T")
TIMEOUT = (10.0, 120.0)  # connect, read (seconds)


class ConnectionSession(requests.Session):
    """A requests session that trusts the connection's own CA bundle when it has one.

    requests lets REQUESTS_CA_BUNDLE (or CURL_CA_BUNDLE) replace ``verify`` while
    ``trust_env`` is on; turning the environment off would lose its proxies too,
    so only the CA setting of the environment is overridden, and only then.
    """

    def __init__(self, ca_file: str | None = None, timeout: Any = TIMEOUT):
        super().__init__()
        self.ca_file = ca_file
        self.timeout = timeout
        if ca_file:
            self.verify = ca_file
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=4, max_retries=0)
        self.mount("https://", adapter)

    def merge_environment_settings(  # type: ignore[override]
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        merged = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if self.ca_file:
            merged["verify"] = self.ca_file
        return merged

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def ca_file_for(pem: str | None) -> str | None:
    """A file holding the PEM bundle (public certificates), written once per bundle."""
    if not pem:
        return None
    digest = hashlib.sha256(pem.encode()).hexdigest()[:32]
    folder = Path(tempfile.gettempdir()) / "engagement-salesforce-ca"
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / f"{digest}.pem"
    if not path.exists():
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(pem)
        partial.replace(path)
    return str(path)


def client_kwargs(
    connection: SalesforceConnection, secrets: dict[str, str]
) -> dict[str, Any]:
    """simple-salesforce constructor arguments for one of the three logins."""
    common: dict[str, Any] = {
        "version": connection.api_version,
        "domain": connection.domain,
    }
    auth = SalesforceAuth(connection.auth)
    if auth is SalesforceAuth.PASSWORD:
        return common | {
            "username": connection.username,
            "password": secrets.get("password", ""),
            "security_token": secrets.get("security_token", ""),
        }
    if auth is SalesforceAuth.JWT:
        extra = (
            {"instance_url": connection.instance_url} if connection.instance_url else {}
        )
        return (
            common
            | extra
            | {
                "username": connection.username,
                "consumer_key": connection.consumer_key,
                "privatekey": secrets.get("private_key", ""),
            }
        )
    return common | {
        "instance_url": connection.instance_url,
        "session_id": secrets.get("access_token", ""),
    }


def build_client(
    connection: SalesforceConnection, secrets: dict[str, str]
) -> Salesforce:
    """A logged-in client; blocking (a login may be a network call)."""
    session = ConnectionSession(ca_file_for(connection.ca_bundle))
    return Salesforce(session=session, **client_kwargs(connection, secrets))


@dataclass
class CallPolicy:
    """How hard to try: transient retries, their pause, logins per run."""

    transient_retries: int = 3
    retry_pause: float = 1.0
    reauthentications: int = 1
    batch_size: int = 2000


class SalesforceApi:
    """The calls the sync makes, each in a thread, transient failures retried."""

    def __init__(
        self,
        connection: SalesforceConnection,
        secrets: dict[str, str],
        policy: CallPolicy | None = None,
        factory: Callable[[], Salesforce] | None = None,
    ):
        self.policy = policy or CallPolicy()
        self._factory = factory or (lambda: build_client(connection, secrets))
        self._client: Salesforce | None = None
        self.reauthentications = 0
        self.retries = 0

    async def client(self) -> Salesforce:
        if self._client is None:
            self._client = await self._call(self._factory)
        return self._client

    async def reauthenticate(self) -> None:
        """Log in again once more, if the run's budget allows it."""
        if self.reauthentications >= self.policy.reauthentications:
            raise SessionExpired(
                "the session expired again after logging in anew; check the"
                " connection's credentials (a pasted access token must be renewed)"
            )
        self.reauthentications += 1
        self._client = None
        await self.client()
        log.info("salesforce.reauthenticated", extra={"count": self.reauthentications})

    async def query(self, soql: str, include_deleted: bool = False) -> dict[str, Any]:
        client = await self.client()
        headers = {"Sforce-Query-Options": f"batchSize={self.policy.batch_size}"}
        return await self._call(
            lambda: client.query(soql, include_deleted=include_deleted, headers=headers)
        )

    async def query_more(self, path: str) -> dict[str, Any]:
        client = await self.client()
        headers = {"Sforce-Query-Options": f"batchSize={self.policy.batch_size}"}
        return await self._call(
            lambda: client.query_more(path, identifier_is_url=True, headers=headers)
        )

    async def describe(self, sobject: str) -> dict[str, Any]:
        client = await self.client()
        return await self._call(lambda: getattr(client, sobject).describe())

    async def userinfo(self) -> dict[str, Any]:
        client = await self.client()
        info = await self._call(lambda: client.oauth2("userinfo"))
        return info if isinstance(info, dict) else {}

    def api_usage(self) -> str | None:
        """``used/limit`` of the org's daily API requests, as last reported."""
        usage = getattr(self._client, "api_usage", {}).get("api-usage")
        return f"{usage.used}/{usage.total}" if usage is not None else None

    async def _call(self, work: Callable[[], T]) -> T:
        attempt = 0
        while True:
            try:
                return await asyncio.to_thread(work)
            except (SalesforceError, requests.RequestException) as error:
                problem = classify(error)
            if (
                not isinstance(problem, Transient)
                or attempt >= self.policy.transient_retries
            ):
                raise problem
            attempt += 1
            self.retries += 1
            log.warning(
                "salesforce.retry", extra={"attempt": attempt, "code": problem.code}
            )
            await asyncio.sleep(self.policy.retry_pause * attempt)
