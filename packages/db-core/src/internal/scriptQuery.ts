import pg from "pg"

/**
 * For an error of a multi-statement script: how many of its statements the server had
 * completed before it, which is the 0-based index of the statement that failed.
 */
export const statementsCompleted = new WeakMap<object, number>()

// The handler a custom query class implements (as pg-cursor does); @types/pg leaves it out.
const countCompleted = (
  pg.Query.prototype as unknown as {
    handleCommandComplete: (this: pg.Query, ...args: Array<unknown>) => void
  }
).handleCommandComplete

/**
 * Counts the server's CommandComplete messages: in the simple query protocol each
 * statement of the text ends with one, and the first error ends the text.
 */
class ScriptQuery extends pg.Query {
  completed = 0

  handleCommandComplete(...args: Array<unknown>) {
    this.completed++
    countCompleted.apply(this, args)
  }
}

/**
 * Sends `text` as one simple-protocol query (no parameters: several statements in one
 * message). A server error it fails with is registered in `statementsCompleted`.
 */
export const sendScript = (
  client: pg.ClientBase,
  text: string,
): Promise<pg.QueryResult | Array<pg.QueryResult>> =>
  new Promise((resolve, reject) => {
    const query: ScriptQuery = new ScriptQuery(text, (error, result) => {
      if (error === undefined || error === null) {
        resolve(result as unknown as pg.QueryResult | Array<pg.QueryResult>)
        return
      }
      statementsCompleted.set(error, query.completed)
      reject(error)
    })
    // pg refusing the query outright (a closed client) throws: a rejection too.
    try {
      client.query(query)
    } catch (cause) {
      reject(cause)
    }
  })
