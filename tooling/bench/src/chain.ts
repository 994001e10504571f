import { mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import pg from "pg"

/**
 * A generated chain of `count` migrations (a table, an index, a column with a default and
 * 20 rows each) in a new temporary directory; returns it and the up files in order.
 */
export const writeChain = async (count: number) => {
  const dir = await mkdtemp(join(tmpdir(), "coderops-bench-chain-"))
  const ups: Array<string> = []
  for (let i = 1; i <= count; i++) {
    const name = `${String(i).padStart(6, "0")}_bench_${i}`
    const up = join(dir, `${name}.up.sql`)
    ups.push(up)
    await writeFile(
      up,
      `CREATE TABLE bench_${i} (id bigserial PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX bench_${i}_name_idx ON bench_${i} (name);
ALTER TABLE bench_${i} ADD COLUMN note text NOT NULL DEFAULT '';
INSERT INTO bench_${i} (name) SELECT 'row ' || g FROM generate_series(1, 20) g;
`,
    )
    await writeFile(join(dir, `${name}.down.sql`), `DROP TABLE bench_${i};\n`)
  }
  return { dir, ups }
}

/** A new empty database on the server at `url` (not timed by the callers); returns its URL. */
export const databaseFactory = (url: string) => {
  let n = 0
  return async () => {
    const name = `chain_${process.pid}_${n++}`
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    await admin.query(`CREATE DATABASE ${name}`)
    await admin.end()
    const target = new URL(url)
    target.pathname = `/${name}`
    return target.toString()
  }
}
