import { reachableBinaries, serverAccount } from "@coderops/pg-server"
const [bin, cache] = process.argv.slice(2)
const account = await serverAccount()
const b = { initdb: `${bin}/initdb`, pg_ctl: `${bin}/pg_ctl`, postgres: `${bin}/postgres` }
let t = performance.now()
await reachableBinaries(b, account, cache)
const first = performance.now() - t
t = performance.now()
await reachableBinaries(b, account, cache)
const again = performance.now() - t
console.log(JSON.stringify({ first: Math.round(first), sameProcess: Math.round(again) }))
