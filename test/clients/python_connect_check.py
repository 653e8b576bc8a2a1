"""connect() of the Python SDK: returns once subscribed, or raises a clear error within its timeout.

Usage: python_connect_check.py WS_URL GOOD_TOKEN BAD_TOKEN UNREACHABLE_URL → one JSON line.
"""
import asyncio
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "src", "client", "python"))
from puo_memo import AuthenticationError, PuoMemoWebSocket  # noqa: E402


async def attempt(url, token, timeout):
    ws = PuoMemoWebSocket(token=token, url=url, min_delay=0.05, max_delay=0.2)
    failures = []
    ws.on("auth_failed", lambda data: failures.append(data["reason"]))
    started = time.monotonic()
    try:
        await ws.connect(timeout=timeout)
        result = {"ok": True, "subscribed": ws.last_seq is not None, "state": ws.state}
        await ws.disconnect()
    except AuthenticationError as err:
        result = {"auth_error": str(err), "auth_failed": failures, "state": ws.state}
    except ConnectionError as err:
        result = {"connection_error": str(err), "state": ws.state}
    result["seconds"] = round(time.monotonic() - started, 2)
    return result


async def main(url, good, bad, unreachable):
    print(json.dumps({
        "good": await attempt(url, good, 5),
        "bad": await attempt(url, bad, 5),
        "unreachable": await attempt(unreachable, good, 1.5),
    }), flush=True)


asyncio.run(main(*sys.argv[1:5]))
