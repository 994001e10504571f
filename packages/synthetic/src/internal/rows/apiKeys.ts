// API keys, the hot path: millions of rows written as bytes (see CopyWriter).

import { ascii, CopyWriter } from "../CopyWriter.js"
import { day } from "../copyText.js"
import { type Plan, threeYears, userId } from "../plan.js"
import { below, rowHash, spread, word } from "../random.js"

/** Which scope column api_keys has: `scope` before migration 000371, `scopes` after it. */
export type ApiKeyScopeColumn = "scope" | "scopes"

/** The columns the rows of `apiKeyChunks` fill, in order. */
export const apiKeyColumns = (scopeColumn: ApiKeyScopeColumn) => [
  "id",
  "hashed_secret",
  "user_id",
  "last_used",
  "expires_at",
  "created_at",
  "updated_at",
  "login_type",
  "lifetime_seconds",
  "ip_address",
  ...(scopeColumn === "scopes" ? ["scopes", "allow_list"] : ["scope"]),
  "token_name",
]

const tokenLifetimes = [30 * day, 90 * day, 365 * day]
const octetBytes = Array.from({ length: 256 }, (_, n) => ascii(String(n)))
const tab = 9
const newline = 10
const dot = 46

/** API keys [from, to) as COPY text chunks; `onRows` hears how many rows each chunk holds. */
export function* apiKeyChunks(
  plan: Plan,
  scopeColumn: ApiKeyScopeColumn,
  from: number,
  to: number,
  onRows?: ((rows: number) => void) | undefined,
): Generator<Buffer> {
  const key = plan.keys.apiKeys
  const userIds = Array.from({ length: plan.users }, (_, u) => ascii(userId(plan, u)))
  const [all, connect] = (
    scopeColumn === "scopes"
      ? ["{all}\t{*:*}", "{application_connect}\t{*:*}"]
      : ["all", "application_connect"]
  ).map(ascii) as [Buffer, Buffer]
  const secretPrefix = ascii("\\\\x")
  const token = ascii("token")
  const password = ascii("password")
  const tokenPrefix = ascii("token-")
  const lifetimes = new Map([day, ...tokenLifetimes].map((s) => [s, ascii(String(s))]))
  const tenDot = ascii("10.")
  const oldest = plan.now - threeYears
  const expiredSpan = threeYears - 8 * day
  const out = new CopyWriter()
  let chunkStart = from
  for (let i = from; i < to; i++) {
    const row = rowHash(key, i)
    // The id: word 0 is unique per key (see rowHash), then 4 random base62 digits.
    out.base62(word(row, 0), 6)
    out.base62(word(row, 1), 4)
    out.byte(tab)
    out.bytes(secretPrefix)
    for (let k = 6; k < 14; k++) out.hex(word(row, k))
    out.byte(tab)
    out.bytes(userIds[below(word(row, 14), plan.users)]!)
    const kind = word(row, 2)
    const isToken = kind % 10 === 0
    const lifetime = isToken ? tokenLifetimes[(kind >>> 8) % 3]! : day
    const expires = spread(i, plan.expiredKeys, plan.apiKeys)
      ? oldest + below(word(row, 3), expiredSpan)
      : // Expires in the future, or expired less than 7 days ago: 000371 keeps these.
        plan.now - 6 * day + below(word(row, 3), 6 * day + lifetime)
    const created = expires - lifetime
    out.byte(tab)
    out.timestamp(created + below(word(row, 4), Math.min(expires, plan.now) - created))
    out.byte(tab)
    out.timestamp(expires)
    out.byte(tab)
    out.timestamp(created)
    out.byte(tab)
    out.timestamp(created)
    out.byte(tab)
    out.bytes(isToken ? token : password)
    out.byte(tab)
    out.bytes(lifetimes.get(lifetime)!)
    out.byte(tab)
    const ip = word(row, 5)
    out.bytes(tenDot)
    out.bytes(octetBytes[ip >>> 24]!)
    out.byte(dot)
    out.bytes(octetBytes[(ip >>> 16) & 255]!)
    out.byte(dot)
    out.bytes(octetBytes[(ip >>> 8) & 255]!)
    out.byte(tab)
    out.bytes((kind >>> 16) % 20 === 0 ? connect : all)
    out.byte(tab)
    if (isToken) {
      out.bytes(tokenPrefix)
      out.decimal(i + 1)
    }
    out.byte(newline)
    if (out.full) {
      onRows?.(i + 1 - chunkStart)
      chunkStart = i + 1
      yield out.take()
    }
  }
  const rest = out.take()
  if (rest.length > 0) {
    onRows?.(to - chunkStart)
    yield rest
  }
}
