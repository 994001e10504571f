import { randomBytes } from "node:crypto"
import pg from "pg"
import { afterAll, beforeAll, inject } from "vitest"
import { type TestServer, templateDatabase } from "./server.js"

export { type TestServer, templateDatabase } from "./server.js"

export const testServer = (): TestServer => inject("coderopsPostgres")

const withAdmin = async <A>(body: (client: pg.Client) => Promise<A>) => {
  const client = new pg.Client({ connectionString: testServer().adminUrl })
  await client.connect()
  try {
    return await body(client)
  } finally {
    await client.end()
  }
}

/** A URL for `database` on the test server, with the superuser's credentials. */
export const databaseUrl = (database: string): string => {
  const url = new URL(testServer().adminUrl)
  url.pathname = `/${database}`
  return url.toString()
}

/** Creates a new empty database from the template; returns its name. */
export const createTestDatabase = async (): Promise<string> => {
  const name = `t_${randomBytes(6).toString("hex")}`
  await withAdmin((client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${templateDatabase}`))
  return name
}

export const dropTestDatabase = (name: string) =>
  withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))

/**
 * Gives the calling test file a fresh database of its own, created before its tests and
 * dropped after them. Read `url` inside tests or hooks.
 */
export const useTestDatabase = () => {
  let name: string | undefined
  beforeAll(async () => {
    name = await createTestDatabase()
  })
  afterAll(async () => {
    if (name !== undefined) await dropTestDatabase(name)
  })
  return {
    get name() {
      if (name === undefined)
        throw new Error("useTestDatabase: read the database inside a test or hook")
      return name
    },
    get url() {
      return databaseUrl(this.name)
    },
  }
}

/** Runs SQL on its own connection (setup, assertions, a competing session); returns the rows. */
export const sql = async <R extends Record<string, unknown> = Record<string, unknown>>(
  url: string,
  text: string,
  params?: ReadonlyArray<unknown>,
): Promise<Array<R>> => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const result = (await client.query(text, params as Array<unknown>)) as unknown as
      | pg.QueryResult<R>
      | Array<pg.QueryResult<R>>
    return Array.isArray(result) ? (result.at(-1)?.rows ?? []) : result.rows
  } finally {
    await client.end()
  }
}
