"""A stand-in Google Sheets API v4 server on 127.0.0.1, for tests.

It serves the calls the Sheets connector makes, with Google's request and
response shapes: the OAuth token endpoint (checking the JWT's RS256 signature
against the account's public key), spreadsheet metadata, values get, update
and append, and batchUpdate's addSheet and appendDimension. Faults can be
queued per operation, including "apply the write, then drop the connection".
Typed cells and A1 ranges are in ``standin_model``, the operations in
``standin_api``.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.sheets import standin_api as api
from tests.sheets.standin_model import (
    GOOGLE_ERRORS,
    Answer,
    Cell,
    Sheet,
    Spreadsheet,
    enter,
    error,
    find_sheet,
    parse_range,
    render,
)

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass
class Fault:
    """What to do instead of answering one call normally.

    Attributes:
        status: The HTTP status to answer with; ``None`` for the normal answer
            (late, with ``delay``).
        body: The JSON body; a Google-shaped error by default.
        headers: Extra response headers, such as ``Retry-After``.
        apply: Carry the call out first, as a write that landed would be.
        drop: Close the connection without any answer.
        delay: Seconds to wait before answering, to outlast a client timeout.
    """

    status: int | None = 500
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    apply: bool = False
    drop: bool = False
    delay: float = 0.0


@dataclass
class Call:
    """One request the stand-in received."""

    operation: str
    method: str
    path: str
    query: dict[str, list[str]]
    account: str | None
    body: Any


class SheetsStandIn:
    """The server and its state; start it, point ``api_endpoint`` at ``url``."""

    def __init__(self) -> None:
        self.accounts: dict[str, rsa.RSAPublicKey] = {}
        self.tokens: dict[str, str] = {}
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.calls: list[Call] = []
        self.faults: dict[str, list[Fault]] = {}
        self.lock = threading.RLock()
        self._server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )

    @property
    def token_uri(self) -> str:
        return self.url + "/token"

    def start(self) -> SheetsStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_account(self, email: str, public_key: rsa.RSAPublicKey) -> None:
        self.accounts[email] = public_key

    def add_spreadsheet(
        self,
        key: str,
        *,
        title: str = "Marking data",
        time_zone: str = "Etc/UTC",
        sheets: tuple[str, ...] = ("Sheet1",),
        columns: int = 26,
        editors: tuple[str, ...] = (),
    ) -> Spreadsheet:
        made = [
            Sheet(index, name, column_count=columns)
            for index, name in enumerate(sheets)
        ]
        spreadsheet = Spreadsheet(key, title, time_zone, made, set(editors))
        self.spreadsheets[key] = spreadsheet
        return spreadsheet

    def fail_next(self, operation: str, **fault: Any) -> None:
        """Queue a fault for the next call of ``operation``."""
        self.faults.setdefault(operation, []).append(Fault(**fault))

    def calls_to(self, operation: str) -> list[Call]:
        return [call for call in self.calls if call.operation == operation]

    def sheet(self, key: str, title: str) -> Sheet:
        return find_sheet(self.spreadsheets[key], title)

    def header(self, key: str, title: str) -> list[str]:
        sheet = self.sheet(key, title)
        return [
            render(sheet.cells.get((1, column)))
            for column in range(1, sheet.width() + 1)
        ]

    def records(self, key: str, title: str) -> list[dict[str, Cell]]:
        """Each row under the header as ``{header: cell}``, blanks left out."""
        sheet = self.sheet(key, title)
        header = self.header(key, title)
        rows = []
        for row in range(2, sheet.height() + 1):
            rows.append(
                {
                    name: sheet.cells[(row, column)]
                    for column, name in enumerate(header, start=1)
                    if (row, column) in sheet.cells and name
                }
            )
        return rows

    def type_in(self, key: str, title: str, row: int, column: int, text: str) -> None:
        """Put a value in a cell as a person typing it would."""
        cell = enter(text, "USER_ENTERED")
        if cell is not None:
            self.sheet(key, title).cells[(row, column)] = cell

    def move_column(self, key: str, title: str, source: int, target: int) -> None:
        """Drag column ``source`` to position ``target`` (1-based), as in the UI."""
        sheet = self.sheet(key, title)
        width = max(sheet.width(), source, target)
        order = list(range(1, width + 1))
        order.insert(target - 1, order.pop(source - 1))
        moved = {}
        for (row, column), cell in sheet.cells.items():
            moved[(row, order.index(column) + 1)] = cell
        sheet.cells = moved

    # The API -----------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: Any,
        raw: bytes,
    ) -> Answer | None:
        """Answer one request: status, JSON body, headers; ``None`` to drop."""
        operation, match = _route(method, path)
        with self.lock:
            body = _decode(raw, headers.get("Content-Type", ""))
            token = headers.get("Authorization", "").removeprefix("Bearer ")
            account = self.tokens.get(token)
            self.calls.append(Call(operation, method, path, query, account, body))
            queued = self.faults.get(operation)
            fault = queued.pop(0) if queued else None
            answer = None
            if fault is None or fault.apply or fault.status is None:
                answer = self._answer(operation, match, query, account, body)

        if fault is None:
            return answer
        time.sleep(fault.delay)  # outside the lock: other calls go on meanwhile
        if fault.drop:
            return None
        return answer if fault.status is None else _faulted(fault)

    def _answer(
        self,
        operation: str,
        match: re.Match[str] | None,
        query: dict[str, list[str]],
        account: str | None,
        body: Any,
    ) -> Answer:
        if operation == "token":
            return self._token(body)
        if match is None:
            return error(404, "NOT_FOUND", "Unknown route.")
        if account is None:
            return error(401, *GOOGLE_ERRORS[401])

        spreadsheet = self.spreadsheets.get(unquote(match.group(1)))
        if spreadsheet is None:
            return error(404, *GOOGLE_ERRORS[404])
        if account not in spreadsheet.editors:
            return error(403, *GOOGLE_ERRORS[403])

        if operation == "metadata":
            return 200, api.metadata(spreadsheet), {}
        if operation == "batchUpdate":
            return api.batch_update(spreadsheet, body)

        text = unquote(match.group(2))
        try:
            title, bounds = parse_range(text)
            sheet = find_sheet(spreadsheet, title)
        except (KeyError, ValueError):
            return error(400, "INVALID_ARGUMENT", f"Unable to parse range: {text}")

        if operation == "values.get":
            return api.values_get(sheet, text, bounds, query)
        if operation == "values.update":
            return api.values_update(spreadsheet, sheet, bounds, query, body)
        return api.values_append(spreadsheet, sheet, bounds, query, body)

    def _token(self, form: Any) -> Answer:
        refused = (
            400,
            {"error": "invalid_grant", "error_description": "Invalid JWT Signature."},
            {},
        )
        if not isinstance(form, dict) or form.get("grant_type") != JWT_GRANT:
            return 400, {"error": "unsupported_grant_type"}, {}

        try:
            head, payload, signature = str(form.get("assertion", "")).split(".")
            claims = json.loads(_unb64(payload))
            key = self.accounts[claims["iss"]]
            key.verify(
                _unb64(signature),
                f"{head}.{payload}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (ValueError, KeyError, InvalidSignature):
            return refused

        # google-auth always names Google's endpoint as the audience.
        if claims.get("aud") != GOOGLE_TOKEN_URI or "spreadsheets" not in claims.get(
            "scope", ""
        ):
            return 400, {"error": "invalid_scope"}, {}

        token = f"ya29.standin-{uuid.uuid4().hex}"
        self.tokens[token] = claims["iss"]
        return (
            200,
            {"access_token": token, "expires_in": 3599, "token_type": "Bearer"},
            {},
        )


ROUTES = [
    ("POST", re.compile(r"^/token$"), "token"),
    ("GET", re.compile(r"^/v4/spreadsheets/([^/:]+)$"), "metadata"),
    ("POST", re.compile(r"^/v4/spreadsheets/([^/:]+):batchUpdate$"), "batchUpdate"),
    ("GET", re.compile(r"^/v4/spreadsheets/([^/:]+)/values/([^/:]+)$"), "values.get"),
    (
        "PUT",
        re.compile(r"^/v4/spreadsheets/([^/:]+)/values/([^/:]+)$"),
        "values.update",
    ),
    (
        "POST",
        re.compile(r"^/v4/spreadsheets/([^/:]+)/values/([^/:]+):append$"),
        "values.append",
    ),
]


def _route(method: str, path: str) -> tuple[str, re.Match[str] | None]:
    for verb, pattern, operation in ROUTES:
        found = pattern.match(path)
        if verb == method and found:
            return operation, found
    return "unknown", None


class _QuietServer(ThreadingHTTPServer):
    """Says nothing when a client hung up first, as a timed-out one does."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_for(standin: SheetsStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # One buffered write per answer, sent at once: no Nagle delays.
        wbufsize = -1
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read ``standin.calls`` instead."""

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            query = parse_qs(parts.query)
            answer = standin.handle(self.command, parts.path, query, self.headers, raw)
            if answer is None:
                self.close_connection = True
                return

            status, body, headers = answer
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _faulted(fault: Fault) -> Answer:
    if fault.body is not None:
        return fault.status, fault.body, fault.headers
    code = fault.status or 500
    status, message = GOOGLE_ERRORS.get(code, ("UNKNOWN", "Error."))
    return code, error(code, status, message)[1], fault.headers


def _decode(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    if "json" in content_type:
        return json.loads(raw)
    return {key: values[0] for key, values in parse_qs(raw.decode()).items()}


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
