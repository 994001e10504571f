import type { Plan } from "./plan.js"

/** One table the seeder loads with COPY in its transaction: its statement and its rows. */
export interface SeededTable {
  readonly table: string
  /** The statement's name, as `Db` times and counts it. */
  readonly name: string
  readonly columns: ReadonlyArray<string>
  /** Rows in COPY text, one line each, in the order of `columns`. */
  readonly rows: (plan: Plan) => Iterable<string>
  /** How many rows `rows` gives, when that is known without generating them (progress). */
  readonly expectedRows?: ((plan: Plan) => number) | undefined
}
