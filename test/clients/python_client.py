"""A client written with Python's `websockets` library (not ours): connect, subscribe, create, see the event.

Usage: python3 python_client.py BASE_URL TOKEN   → prints one JSON line with what it saw.
"""
import asyncio, json, sys, urllib.request

import websockets


async def main(base, token):
    url = base.replace("http", "ws", 1) + "/api/v4/ws?token=" + token
    async with websockets.connect(url) as ws:
        async def next_frame(pred):
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if pred(frame):
                    return frame

        connected = await next_frame(lambda f: f["type"] == "connected")
        await ws.send(json.dumps({"id": "py-sub", "type": "subscribe", "timestamp": "", "data": {"channel": "memories"}}))
        subscribed = await next_frame(lambda f: f["id"] == "py-sub")
        req = urllib.request.Request(
            base + "/api/v4/memories",
            data=json.dumps({"content": "written for the python client", "visibility": "team"}).encode(),
            headers={"authorization": "Bearer " + token, "content-type": "application/json"},
            method="POST",
        )
        created = await asyncio.get_running_loop().run_in_executor(None, lambda: json.load(urllib.request.urlopen(req)))
        event = await next_frame(lambda f: f["type"] == "memory.created")
        await ws.send(json.dumps({"id": "py-ping", "type": "ping", "timestamp": "", "data": {}}))
        pong = await next_frame(lambda f: f["id"] == "py-ping")
        print(json.dumps({
            "connected": connected["data"]["userId"],
            "subscribed": subscribed["type"],
            "pong": pong["type"],
            "createdId": created["id"],
            "eventMemoryId": event["data"]["memory"]["id"],
            "seq": event["seq"],
        }))


asyncio.run(main(sys.argv[1], sys.argv[2]))
