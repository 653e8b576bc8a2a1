"""Drives the Python SDK the way the README shows, for test/python-sdk.test.ts.

Usage: python_sdk_check.py WS_URL TOKEN EXPECTED_EVENTS
Prints {"ready": true} once subscribed, then one JSON line with every memory.created it saw.
"""
import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "src", "client", "python"))
from puo_memo import PuoMemoWebSocket  # noqa: E402


async def main(url, token, expected):
    seen = []
    done = asyncio.Event()

    def handle_new_memory(data, frame):
        seen.append({"content": data["memory"]["content"], "seq": frame["seq"], "id": frame["id"]})
        if len(seen) >= expected:
            done.set()

    ws = PuoMemoWebSocket(token=token, url=url, min_delay=0.05, max_delay=0.3)
    ws.on("memory.created", handle_new_memory)
    await ws.connect()
    while ws.last_seq is None:
        await asyncio.sleep(0.01)
    print(json.dumps({"ready": True}), flush=True)
    try:
        await asyncio.wait_for(done.wait(), 30)
    except asyncio.TimeoutError:
        pass
    await asyncio.sleep(0.3)  # anything extra (a duplicate) would arrive now
    await ws.disconnect()
    print(json.dumps({"seen": seen, "state": ws.state}), flush=True)


asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
