// A TCP proxy the test owns, between a server and its database or Redis: cut it to simulate an outage.
import type { Socket, TCPSocketListener } from 'bun'
import { freePort } from './redis.ts'

export interface TcpProxy {
  port: number
  /** Drops every connection and refuses new ones. */
  cut(): void
  /** Accepts connections again, on the same port. */
  restore(): void
  stop(): void
}

interface Link {
  peer?: Socket<Link>
  pending: Uint8Array[]
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const port = await freePort()
  const open = new Set<Socket<Link>>()
  let listener: TCPSocketListener<Link> | undefined

  const listen = () => {
    listener = Bun.listen<Link>({
      hostname: '127.0.0.1',
      port,
      socket: {
        open(client) {
          client.data = { pending: [] }
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
                upstream.data.peer?.write(chunk)
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
    stop: cut,
  }
}
