"""Client-side timing of each S3 HTTP exchange made by botocore (boto3 and awscli v1).

The traced total time runs from the first request byte the application writes to the last response byte it
reads. To compare like with like, this module times the same two edges inside the client process, at the lowest
layer Python exposes:
  start = just before the first socket send of the request (after any connect/TLS handshake, which the
          tracer does not count either);
  end   = right after the last socket read that returned response bytes.
botocore's before-send / response-received events name the operation and give status, headers and error code.
Resolution is time.perf_counter_ns (CLOCK_MONOTONIC); the unix start time is only used to pair records.

Retries are disabled by the callers so that one logical operation is exactly one HTTP exchange.
"""
from __future__ import annotations

import atexit
import http.client
import json
import os
import socket
import threading
import time
from urllib.parse import urlsplit, unquote

_lock = threading.Lock()
_current: dict | None = None
_out_path: str | None = None
_client_name = "python"
_patched = False


def _now() -> int:
    return time.perf_counter_ns()


def _patch_http() -> None:
    global _patched
    if _patched:
        return
    _patched = True
    original_send = http.client.HTTPConnection.send
    original_readinto = socket.SocketIO.readinto

    def timed_send(self, data):
        # http.client connects lazily inside send(); connect first so the handshake is not counted.
        if self.sock is None and self.auto_open:
            self.connect()
            cur = _current
            if cur is not None:
                cur["new_connection"] = True
        cur = _current
        if cur is not None and cur["start_ns"] is None:
            cur["start_ns"] = _now()
            cur["start_unix_ns"] = time.time_ns()
        return original_send(self, data)

    def timed_readinto(self, b):
        n = original_readinto(self, b)
        cur = _current
        if n and cur is not None and cur["start_ns"] is not None:
            cur["end_ns"] = _now()
        return n

    http.client.HTTPConnection.send = timed_send
    socket.SocketIO.readinto = timed_readinto


def _split_target(url: str) -> tuple[str | None, str | None]:
    path = urlsplit(url).path
    parts = path.lstrip("/").split("/", 1)
    bucket = unquote(parts[0]) if parts and parts[0] else None
    key = unquote(parts[1]) if len(parts) > 1 and parts[1] else None
    return bucket, key


def _query(url: str) -> dict[str, str]:
    q = urlsplit(url).query
    out = {}
    for item in q.split("&"):
        if not item:
            continue
        k, _, v = item.partition("=")
        out[unquote(k)] = unquote(v)
    return out


def _before_send(request, event_name=None, **_):
    flush()
    global _current
    operation = event_name.rsplit(".", 1)[-1] if event_name else None
    bucket, key = _split_target(request.url)
    query = _query(request.url)
    part = query.get("partNumber")
    length = request.headers.get("Content-Length")
    _current = {
        "client": _client_name,
        "pid": os.getpid(),
        "operation": operation,
        "method": request.method,
        "bucket": bucket,
        "key": key,
        "part_number": int(part) if part else None,
        "url": request.url,
        "request_bytes": int(length) if length is not None else 0,
        "start_ns": None,
        "end_ns": None,
        "start_unix_ns": None,
        "new_connection": False,
        "status": None,
        "error_code": None,
        "request_id": None,
        "response_bytes": None,
    }
    return None


def _response_received(response_dict=None, parsed_response=None, exception=None, **_):
    cur = _current
    if cur is None or response_dict is None:
        if cur is not None and exception is not None:
            cur["error_code"] = type(exception).__name__
        return
    headers = {k.lower(): v for k, v in response_dict.get("headers", {}).items()}
    cur["status"] = response_dict.get("status_code")
    cur["request_id"] = headers.get("x-amz-request-id")
    if parsed_response and isinstance(parsed_response, dict):
        err = parsed_response.get("Error") or {}
        if err.get("Code"):
            cur["error_code"] = err["Code"]
    if cur["method"] == "HEAD" or cur["status"] in (204, 304):
        cur["response_bytes"] = 0
    else:
        body = response_dict.get("body")
        if isinstance(body, (bytes, bytearray)):
            cur["response_bytes"] = len(body)
        elif "content-length" in headers:
            cur["response_bytes"] = int(headers["content-length"])


def flush() -> None:
    """Writes the pending exchange; call after the last body byte of an operation has been read."""
    global _current
    with _lock:
        cur = _current
        _current = None
    if cur is None or _out_path is None:
        return
    start, end = cur.pop("start_ns"), cur.pop("end_ns")
    cur["duration_us"] = (end - start) / 1000.0 if start is not None and end is not None else None
    with open(_out_path, "a", encoding="utf-8") as f:
        f.write(json.dumps(cur) + "\n")


def install(emitter, client_name: str, out_path: str | None = None) -> None:
    """Registers the hooks on a botocore event emitter (a session's or a client's)."""
    global _out_path, _client_name
    _out_path = out_path or os.environ.get("S3S_TIMING_FILE")
    _client_name = client_name
    _patch_http()
    emitter.register("before-send.s3", _before_send)
    emitter.register("response-received.s3", _response_received)
    atexit.register(flush)
