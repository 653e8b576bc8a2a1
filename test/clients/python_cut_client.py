"""The Python SDK as a resume subject for test/resume-cut.test.ts.

Usage: python_cut_client.py WS_URL TOKEN
Prints one JSON line per delivered memory event ({"event": id}) and per state change
({"state": s, "last_seq": n}); disconnects and exits when stdin closes.
"""
import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "src", "client", "python"))
from puo_memo import PuoMemoWebSocket  # noqa: E402


async def main(url, token):
    ws = PuoMemoWebSocket(token=token, url=url, min_delay=0.005, max_delay=0.02)

    def delivered(data, frame):
        print(json.dumps({"event": frame["id"]}), flush=True)

    def state(s):
        print(json.dumps({"state": s, "last_seq": ws.last_seq}), flush=True)

    def subscribed(data):
        print(json.dumps({"state": "subscribed", "last_seq": ws.last_seq}), flush=True)

    for t in ("memory.created", "memory.updated", "memory.deleted", "memory.embedding_complete"):
        ws.on(t, delivered)
    ws.on("state", state)
    ws.on("subscribed", subscribed)
    await ws.connect()
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await ws.disconnect()


asyncio.run(main(sys.argv[1], sys.argv[2]))
