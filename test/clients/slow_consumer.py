"""A WebSocket client that subscribes, then stops reading: the server must close it with 1013.

Usage: slow_consumer.py HOST PORT TOKEN PAUSE_SECONDS [READ_DELAY_SECONDS]
With READ_DELAY it keeps reading after the pause, but only 4 KiB per READ_DELAY (a slow reader).
Prints one JSON line: {"subscribed": true, "close_code": N, "frames": N}.
A tiny receive buffer makes the server's queue, not the kernel's, absorb the backlog.
"""
import base64, json, os, socket, struct, sys, time

host, port, token, pause = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
read_delay = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
chunk_size = 4096 if read_delay else 65536
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect((host, port))
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(f"GET /api/v4/ws?token={token} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(4096)
head, buf = buf.split(b"\r\n\r\n", 1)
assert b" 101 " in head.split(b"\r\n")[0], head

def send_text(text):
    data = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81]) + (bytes([0x80 | len(data)]) if len(data) < 126 else bytes([0x80 | 126]) + struct.pack(">H", len(data)))
    s.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

def recv():
    if read_delay:
        time.sleep(read_delay)
    return s.recv(chunk_size)

def frames():
    global buf
    while True:
        while len(buf) < 2:
            chunk = recv()
            if not chunk:
                return
            buf += chunk
        opcode, n = buf[0] & 0x0F, buf[1] & 0x7F
        offset = 2
        if n == 126:
            need = 4
        elif n == 127:
            need = 10
        else:
            need = 2
        while len(buf) < need:
            chunk = recv()
            if not chunk:
                return
            buf += chunk
        if n == 126:
            n, offset = struct.unpack(">H", buf[2:4])[0], 4
        elif n == 127:
            n, offset = struct.unpack(">Q", buf[2:10])[0], 10
        while len(buf) < offset + n:
            chunk = recv()
            if not chunk:
                return
            buf += chunk
        payload, buf = buf[offset:offset + n], buf[offset + n:]
        yield opcode, payload

send_text(json.dumps({"id": "sub", "type": "subscribe", "timestamp": "", "data": {"channel": "memories"}}))
result = {"subscribed": False, "close_code": None, "frames": 0, "error": None}
gen = frames()
for opcode, payload in gen:
    if opcode == 1 and json.loads(payload).get("type") == "subscribed":
        result["subscribed"] = True
        break
print(json.dumps({"ready": True}), flush=True)
time.sleep(pause)
s.settimeout(10)
try:
    for opcode, payload in gen:
        if opcode == 8:
            result["close_code"] = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005
            break
        result["frames"] += 1
except (socket.timeout, ConnectionResetError) as e:
    result["error"] = type(e).__name__
print(json.dumps(result), flush=True)
