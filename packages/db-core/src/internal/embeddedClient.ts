import { runningPostmaster } from "@coderops/pg-server"
import type pg from "pg"
import { pgClientPrototype as base, type ClientInternals, ClosingClient } from "./pgClient.js"

/** The error code of a connection refused because the server did not authenticate with SCRAM. */
export const notScramCode = "ENOSCRAM"

/**
 * The client class for the embedded server, and only for it (it has a password coderops
 * made, and SCRAM is what it was created with):
 * - it authenticates with SCRAM-SHA-256 alone and requires the server's proof of the
 *   password, so whatever else listens on the port gets no password (a cleartext or MD5
 *   request is refused before one is sent) and no statement;
 * - with the data directory, each new connection goes to the port the server listens on
 *   now, read from its verified postmaster.pid: a long-running command keeps finding a
 *   server that was restarted on another port.
 */
export const embeddedClientClass = (dataDir: string | undefined): typeof pg.Client =>
  class EmbeddedClient extends ClosingClient {
    private scramVerified = false

    private refuse(what: string) {
      const internals = this as unknown as ClientInternals
      const error = Object.assign(
        new Error(
          `the server at ${this.host}:${this.port} ${what}; the embedded server authenticates with SCRAM only, so this is not it (no password was sent)`,
        ),
        { code: notScramCode },
      )
      internals.connection.emit("error", error)
      internals.connection.stream.destroy()
    }

    _connect(callback: (error?: Error) => void) {
      const connect = () => base._connect.call(this, callback)
      if (dataDir === undefined) return connect()
      void runningPostmaster(dataDir).then((running) => {
        if (running?.port !== undefined) this.port = running.port
        connect()
      })
    }

    _handleAuthCleartextPassword() {
      this.refuse("asked for a cleartext password")
    }

    _handleAuthMD5Password() {
      this.refuse("asked for an MD5 password hash")
    }

    _handleAuthSASLFinal(message: unknown) {
      base._handleAuthSASLFinal.call(this, message)
      // pg clears the session once the server's signature verified.
      this.scramVerified = (this as unknown as ClientInternals).saslSession === null
    }

    _handleReadyForQuery(message: unknown) {
      if ((this as unknown as ClientInternals)._connecting && !this.scramVerified) {
        return this.refuse("accepted the connection without proving it knows the password")
      }
      base._handleReadyForQuery.call(this, message)
    }
  }
