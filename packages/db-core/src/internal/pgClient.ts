import pg from "pg"
import pgpass from "pgpass"

/**
 * The parts of pg 8's Client that coderops' client classes build on: the handlers it binds
 * per connection (bound to `this`, so a subclass's methods replace them) and its socket.
 * The tests of these classes fail if a pg upgrade renames them.
 */
export interface ClientInternals {
  _connect(callback: (error?: Error) => void): void
  _handleAuthSASLFinal(message: unknown): void
  _handleReadyForQuery(message: unknown): void
  _handleErrorWhileConnecting(error: Error): void
  readonly _connecting: boolean
  saslSession: unknown
  readonly connection: {
    readonly stream: { destroy(): void }
    emit(event: "error", error: Error): boolean
  }
}

export const clientInternals = (client: pg.Client) => client as unknown as ClientInternals

const base = pg.Client.prototype as unknown as ClientInternals

export { base as pgClientPrototype }

/**
 * The client of every coderops connection. When a connection fails during its handshake
 * on the client's side (no password to give, a refused authentication method), pg reports
 * the error but leaves the socket open: the server then waits for the rest of the
 * handshake up to its authentication_timeout (60 s by default), and the process with it.
 * This client closes the socket as soon as the connection has failed.
 */
export class ClosingClient extends pg.Client {
  _handleErrorWhileConnecting(error: Error) {
    base._handleErrorWhileConnecting.call(this, error)
    clientInternals(this).connection.stream.destroy()
  }
}

/**
 * pg's password for a URL without one, as libpq looks for it: PGPASSWORD, then the
 * password file (PGPASSFILE, else ~/.pgpass). Asked only when the server wants a password.
 * pg would read the file itself, but with a deprecation warning on every command.
 */
export const passwordFromEnvironment = (parameters: {
  readonly host?: string
  readonly port?: number
  readonly database?: string
  readonly user?: string
}): Promise<string | undefined> => {
  const fromEnvironment = process.env.PGPASSWORD
  if (fromEnvironment) return Promise.resolve(fromEnvironment)
  return new Promise((resolve) => pgpass(parameters, resolve))
}
