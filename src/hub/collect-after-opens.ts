// Asks the runtime for a garbage collection after every so many sockets opened, so that a burst of
// connections leaves its sockets in compact memory.
//
// Each handshake leaves garbage (the upgrade request, its URL and headers, the token's parse) between
// the objects a socket keeps. The runtime starts a collection once new allocations reach a share of
// the heap, or on its timer once a second; on the embedded database the heap includes its WebAssembly
// memory (about 400 MB), so 10,000 handshakes in 1.3 s saw only the timer's one or two collections,
// and the sockets' objects ended up scattered over blocks that stay resident once the garbage between
// them is freed. Collected every few hundred opens, the sockets fill the memory freed before them
// instead (docs/PERFORMANCE.md, "A collection after every 500 sockets opened").

/** Sockets opened between two requests for a collection. */
const OPENS_PER_COLLECTION = 500

/**
 * Returns the function to call on every socket opened. The request is asynchronous: the collection
 * runs beside the event loop, and the call itself took 0.5 – 1.1 ms at 10,000 sockets.
 */
export function collectAfterOpens(
  every = OPENS_PER_COLLECTION,
  collect: () => void = () => Bun.gc(false),
): () => void {
  let opened = 0
  return () => {
    opened++
    if (opened < every) return
    opened = 0
    collect()
  }
}
