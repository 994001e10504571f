import { connect } from "node:net"

/** The protocol's CancelRequest code (1234 << 16 | 5678). */
const cancelRequestCode = 80877102

/**
 * Asks the server to cancel what a backend runs, as libpq's PQcancel does: a CancelRequest
 * on a connection of its own, which needs no pool slot (every pooled connection may be the
 * ones waiting) and no authentication. Resolves once the server has closed that connection
 * (it has then signalled the backend), or after `timeoutMs`; never fails.
 */
export const sendCancelRequest = (
  target: { readonly host: string; readonly port: number },
  backend: { readonly processID: number; readonly secretKey: number },
  timeoutMs: number,
): Promise<void> =>
  new Promise((resolve) => {
    const packet = Buffer.alloc(16)
    packet.writeInt32BE(16, 0)
    packet.writeInt32BE(cancelRequestCode, 4)
    packet.writeInt32BE(backend.processID | 0, 8)
    packet.writeInt32BE(backend.secretKey | 0, 12)
    // A host that is a directory names a Unix socket, as in libpq and pg.
    const socket = target.host.startsWith("/")
      ? connect(`${target.host}/.s.PGSQL.${target.port}`)
      : connect(target.port, target.host)
    socket.setTimeout(timeoutMs, () => socket.destroy())
    socket.once("connect", () => socket.end(packet))
    socket.on("error", () => {})
    socket.once("close", () => resolve())
  })
