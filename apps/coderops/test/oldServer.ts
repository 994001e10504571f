import { createServer, type Server, type Socket } from "node:net"

/**
 * A stand-in for a PostgreSQL 12 server, speaking just enough of the v3 wire protocol
 * for a real `pg` client to connect and run one simple query. No supported release of
 * PostgreSQL older than 13 ships as a package here, so this is how "server too old" is
 * reached end to end; it answers every query with version 12.22.
 */
export const startOldServer = async (): Promise<{
  readonly port: number
  readonly server: Server
}> => {
  const message = (type: string, body: Buffer) => {
    const header = Buffer.alloc(5)
    header.write(type, 0, "latin1")
    header.writeInt32BE(body.length + 4, 1)
    return Buffer.concat([header, body])
  }
  const cstring = (text: string) => Buffer.from(`${text}\0`, "utf8")
  const int32 = (n: number) => {
    const b = Buffer.alloc(4)
    b.writeInt32BE(n)
    return b
  }
  const int16 = (n: number) => {
    const b = Buffer.alloc(2)
    b.writeInt16BE(n)
    return b
  }
  const field = (name: string, typeOid: number) =>
    Buffer.concat([
      cstring(name),
      int32(0),
      int16(0),
      int32(typeOid),
      int16(-1),
      int32(-1),
      int16(0),
    ])
  const ready = message("Z", Buffer.from("I"))

  const serve = (socket: Socket) => {
    let buffer = Buffer.alloc(0)
    let started = false
    socket.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk])
      for (;;) {
        if (!started) {
          if (buffer.length < 8) return
          const length = buffer.readInt32BE(0)
          if (buffer.length < length) return
          const code = buffer.readInt32BE(4)
          buffer = buffer.subarray(length)
          if (code === 80877103) {
            socket.write("N") // no TLS
            continue
          }
          started = true
          socket.write(
            Buffer.concat([
              message("R", int32(0)),
              message("S", Buffer.concat([cstring("server_version"), cstring("12.22")])),
              message("K", Buffer.concat([int32(4242), int32(1)])),
              ready,
            ]),
          )
          continue
        }
        if (buffer.length < 5) return
        const type = String.fromCharCode(buffer[0]!)
        const length = buffer.readInt32BE(1)
        if (buffer.length < length + 1) return
        buffer = buffer.subarray(length + 1)
        if (type === "X") {
          socket.end()
          return
        }
        if (type === "Q") {
          socket.write(
            Buffer.concat([
              message("T", Buffer.concat([int16(2), field("num", 23), field("text", 25)])),
              message(
                "D",
                Buffer.concat([
                  int16(2),
                  int32(6),
                  Buffer.from("120022"),
                  int32(5),
                  Buffer.from("12.22"),
                ]),
              ),
              message("C", cstring("SELECT 1")),
              ready,
            ]),
          )
        }
      }
    })
    socket.on("error", () => {})
  }

  const server = createServer(serve)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  return { port: typeof address === "object" && address !== null ? address.port : 0, server }
}
