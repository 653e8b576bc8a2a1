// A TCP proxy the test owns, between a server and its database or Redis: cut it to simulate an outage.
import type { Socket, TCPSocketListener } from 'bun'
import { freePort } from './redis.ts'

export interface TcpProxy {
  port: number
  /** Drops every connection and refuses new ones. */
  cut(): void
  /** Accepts connections again, on the same port. */
  restore(): void
  /**
   * The next connection accepted is cut (both sides dropped, no close frame) once `bytes` bytes have
   * gone from the target to the client: exactly that many reach the client. Later ones pass.
   */
  cutNextAfter(bytes: number): void
  stop(): void
}

interface Link {
  peer?: Socket<Link>
  pending: Uint8Array[]
  /** For the client side of a connection armed with cutNextAfter: bytes it may still receive. */
  budget?: number
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const port = await freePort()
  const open = new Set<Socket<Link>>()
  let armed: number | undefined
  let listener: TCPSocketListener<Link> | undefined

  const listen = () => {
    listener = Bun.listen<Link>({
      hostname: '127.0.0.1',
      port,
      socket: {
        open(client) {
          client.data = { pending: [], ...(armed !== undefined ? { budget: armed } : {}) }
          armed = undefined
          open.add(client)
          Bun.connect<Link>({
            hostname: targetHost,
            port: targetPort,
            socket: {
              open(upstream) {
                upstream.data = { peer: client, pending: [] }
                client.data.peer = upstream
                open.add(upstream)
                for (const chunk of client.data.pending) upstream.write(chunk)
                client.data.pending = []
              },
              data(upstream, chunk) {
                const client = upstream.data.peer
                if (!client) return
                const budget = client.data.budget
                if (budget === undefined) return void client.write(chunk)
                client.write(chunk.subarray(0, budget))
                client.data.budget = budget - Math.min(budget, chunk.byteLength)
                if (client.data.budget === 0 && budget <= chunk.byteLength) {
                  // Let the kernel hand the last bytes over, then drop both sides without a close.
                  client.flush()
                  setTimeout(() => {
                    client.terminate()
                    upstream.terminate()
                  }, 5)
                }
              },
              close(upstream) {
                open.delete(upstream)
                upstream.data.peer?.end()
              },
              error(upstream) {
                upstream.data.peer?.end()
              },
            },
          }).catch(() => client.end())
        },
        data(client, chunk) {
          if (client.data.peer) client.data.peer.write(chunk)
          else client.data.pending.push(new Uint8Array(chunk))
        },
        close(client) {
          open.delete(client)
          client.data.peer?.end()
        },
      },
    })
  }
  listen()
  const cut = () => {
    listener?.stop(true)
    listener = undefined
    for (const s of open) s.terminate()
    open.clear()
  }
  return {
    port,
    cut,
    restore() {
      if (!listener) listen()
    },
    cutNextAfter(bytes) {
      armed = bytes
    },
    stop: cut,
  }
}
