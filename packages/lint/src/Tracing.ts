// The tracing lint does on a scratch database, for other libraries that measure migrations
// there (the rehearsal): one owner, not copies.
export {
  type Catalog,
  changesCatalog,
  type HeldLock,
  newLocks,
  type Relation,
  readCatalog,
  readLocksAndCatalog,
  rewrittenBetween,
} from "./internal/catalog.js"
export { buildScratchSchema } from "./internal/scratch.js"
