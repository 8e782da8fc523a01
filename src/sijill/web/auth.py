"""Logins for the web face: sessions, CSRF tokens, and throttling that cannot lock anyone out.

- A session lives in this process's memory only (a restart logs everybody out; nothing about
  who is logged in is written to disk). Its cookie is HttpOnly and SameSite=Strict, Secure
  when the request came over TLS. It expires after 8 idle hours, and after 24 in any case.
- Each session has a CSRF token: a write made with the session cookie must carry it in the
  `X-CSRF-Token` header. Requests with an API token (`Authorization: Bearer`) need none: a
  browser never adds that header on its own.
- Throttling is per account. After 5 wrong passwords in 15 minutes, logins to that account
  from a browser it has not logged in from are refused for 30 s, doubling with each further
  lock up to 5 minutes. A browser where the person logged in before holds a device cookie
  (an HMAC of the account under a key of this process) and is not locked out by others'
  failures, so an attacker who fails on purpose cannot keep the person out; a device that
  itself fails 10 times in 15 minutes loses that pass. (The "device cookie" defence from
  OWASP's guidance on authentication.)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

SESSION_COOKIE = "sijill_session"
DEVICE_COOKIE = "sijill_device"
CSRF_HEADER = "x-csrf-token"
IDLE_S = 8 * 3600
ABSOLUTE_S = 24 * 3600
WINDOW_S = 15 * 60
FAILURES = 5
DEVICE_FAILURES = 10
FIRST_LOCK_S = 30.0
MAX_LOCK_S = 300.0


@dataclass
class WebSession:
    user_id: int
    csrf: str
    created: float
    seen: float


@dataclass
class _Account:
    failures: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0
    lock_s: float = FIRST_LOCK_S


class Sessions:
    """In-memory sessions keyed by the SHA-256 of their cookie value."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._by_hash: dict[str, WebSession] = {}
        self._lock = threading.Lock()

    def _now(self) -> float:
        return self._clock()

    def open(self, user_id: int) -> tuple[str, WebSession]:
        sid = secrets.token_urlsafe(32)
        now = self._now()
        sess = WebSession(user_id, secrets.token_urlsafe(32), now, now)
        with self._lock:
            self._by_hash[_h(sid)] = sess
        return sid, sess

    def get(self, sid: str) -> WebSession | None:
        now = self._now()
        with self._lock:
            sess = self._by_hash.get(_h(sid))
            if sess is None:
                return None
            if now - sess.seen > IDLE_S or now - sess.created > ABSOLUTE_S:
                del self._by_hash[_h(sid)]
                return None
            sess.seen = now
            return sess

    def close(self, sid: str) -> None:
        with self._lock:
            self._by_hash.pop(_h(sid), None)

    def close_user(self, user_id: int) -> None:
        with self._lock:
            for k in [k for k, s in self._by_hash.items() if s.user_id == user_id]:
                del self._by_hash[k]


class Throttle:
    """Per-account login throttling with device cookies (see the module's docstring)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._accounts: dict[str, _Account] = {}
        self._devices: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _now(self) -> float:
        return self._clock()

    def device_cookie(self, name: str) -> str:
        nonce = secrets.token_urlsafe(12)
        return f"{nonce}.{self._mac(name, nonce)}"

    def _mac(self, name: str, nonce: str) -> str:
        return hmac.new(self._key, f"{name}\n{nonce}".encode(), hashlib.sha256).hexdigest()[:32]

    def _device(self, name: str, cookie: str | None) -> str | None:
        """The device's nonce when `cookie` is a valid device cookie for `name`."""
        if not cookie or "." not in cookie:
            return None
        nonce, mac = cookie.split(".", 1)
        return nonce if hmac.compare_digest(mac, self._mac(name, nonce)) else None

    def wait(self, name: str, cookie: str | None) -> float:
        """Seconds until `name` may try again from this client (0: now)."""
        now = self._now()
        with self._lock:
            device = self._device(name, cookie)
            if device is not None:
                fails = self._trim(self._devices.get(device), now)
                return 0.0 if len(fails) < DEVICE_FAILURES else WINDOW_S - (now - fails[0])
            acct = self._accounts.get(name)
            return max(0.0, acct.locked_until - now) if acct else 0.0

    def failed(self, name: str, cookie: str | None) -> None:
        now = self._now()
        with self._lock:
            device = self._device(name, cookie)
            if device is not None:
                self._devices.setdefault(device, deque()).append(now)
                return
            acct = self._accounts.setdefault(name, _Account())
            self._trim(acct.failures, now).append(now)
            if len(acct.failures) >= FAILURES and now >= acct.locked_until:
                acct.locked_until = now + acct.lock_s
                acct.lock_s = min(MAX_LOCK_S, acct.lock_s * 2)
                acct.failures.clear()

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._accounts.pop(name, None)

    @staticmethod
    def _trim(fails: deque[float] | None, now: float) -> deque[float]:
        if fails is None:
            return deque()
        while fails and now - fails[0] > WINDOW_S:
            fails.popleft()
        return fails


def _h(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()
