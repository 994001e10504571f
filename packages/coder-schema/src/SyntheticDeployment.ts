import { Db, type SqlError } from "@coderops/db-core"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { prebuildsGroupDisplayName, prebuildsGroupName, prebuildsUserId } from "./CoderSchema.js"

export interface SeedOptions {
  readonly orgs: number
  /** Users besides the prebuilds system user; each is a member of at least one organization. */
  readonly users: number
  readonly templatesPerOrg: number
  readonly versionsPerTemplate: number
  readonly presetsPerVersion: number
  readonly apiKeys: number
  /** Fraction (0..1) of API keys that expired between 8 days and 3 years before `now`. */
  readonly expiredFraction: number
  /** Same seed and options ⇒ byte-identical rows, ids included. */
  readonly seed: number
  /** Fraction of presets with a non-null desired_instances (0..3); default 0.5. */
  readonly presetDesiredFraction?: number | undefined
  /** Prebuilt workspaces per preset of an active version, up to its desired_instances; default 0. */
  readonly prebuiltWorkspacesPerPreset?: number | undefined
  /**
   * Fraction of the organizations with prebuilds where the prebuilds user already has its
   * membership, group and group membership (what reconciliation would create); default 0.
   */
  readonly reconciledFraction?: number | undefined
  /**
   * The reference time every generated timestamp derives from; default 2026-01-01T00:00:00Z.
   * To rehearse a migration or purge that compares with now(), pass the current time.
   */
  readonly now?: Date | undefined
  /** Called after each table is loaded. */
  readonly onProgress?: ((table: string, rows: number, seconds: number) => void) | undefined
}

export interface SeedReport {
  readonly organizations: number
  readonly users: number
  readonly templates: number
  readonly templateVersions: number
  readonly presets: number
  readonly apiKeys: number
  /** Keys that expired more than 7 days before the reference time (what 000371 purges). */
  readonly expiredApiKeys: number
  readonly prebuiltWorkspaces: number
  readonly organizationsWithPrebuilds: number
  readonly reconciledOrganizations: number
  /** `scope` before migration 000371, `scopes` (+ allow_list) after it. */
  readonly apiKeyScopeColumn: "scope" | "scopes"
  readonly seconds: number
}

export class InvalidSeedOptions extends Data.TaggedError("InvalidSeedOptions")<{
  readonly message: string
  readonly hint: string
  readonly exitCode: 3
}> {}

export class SeedTargetNotEmpty extends Data.TaggedError("SeedTargetNotEmpty")<{
  readonly message: string
  readonly hint: string
}> {}

export class SchemaMissing extends Data.TaggedError("SchemaMissing")<{
  readonly missing: ReadonlyArray<string>
  readonly message: string
  readonly hint: string
}> {}

// --- deterministic randomness ---------------------------------------------------------
// Counter-based: every value is a pure function of (seed, stream, row index, word), so
// ids can be recomputed wherever another table references them and nothing is kept in
// memory per row.

/** lowbias32 (Chris Wellons): a bijection on 32-bit integers with good avalanche. */
const mix32 = (x: number): number => {
  x ^= x >>> 16
  x = Math.imul(x, 0x7feb352d)
  x ^= x >>> 15
  x = Math.imul(x, 0x846ca68b)
  x ^= x >>> 16
  return x >>> 0
}

/** One independent stream of values per kind of row. */
const streams = [
  "organizations",
  "users",
  "memberships",
  "prebuildsGroups",
  "templates",
  "versions",
  "jobs",
  "presets",
  "workspaces",
  "apiKeys",
  // Appended, so that the streams above keep their keys.
  "builds",
  "buildJobs",
] as const

type StreamKeys = Readonly<Record<(typeof streams)[number], number>>

const streamKeys = (seed: number): StreamKeys => {
  const high = Math.floor(seed / 2 ** 32) | 0
  return Object.fromEntries(
    streams.map((stream, n) => [
      stream,
      mix32(mix32((seed >>> 0) ^ Math.imul(n + 1, 0x9e3779b9)) + high),
    ]),
  ) as StreamKeys
}

/**
 * The hash of one row. For indexes below 2^32 it is unique per (stream key, index):
 * key + index·odd is injective and mix32 is a bijection, so `word(row, 0)` is unique too.
 */
const rowHash = (key: number, index: number) => mix32((key + Math.imul(index, 0x9e3779b1)) >>> 0)

/** The k-th 32-bit random word of a row. */
const word = (row: number, k: number) => mix32((row + Math.imul(k + 1, 0x85ebca77)) >>> 0)

/** A value in [0, n) from a 32-bit word. */
const below = (w: number, n: number) => Math.floor((w / 2 ** 32) * n)

const hex8 = (w: number) => w.toString(16).padStart(8, "0")

/** A version-4 UUID unique per (stream key, index); see rowHash. */
const uuid = (key: number, index: number) => {
  const row = rowHash(key, index)
  const a = word(row, 0)
  const b = ((word(row, 1) & 0xffff0fff) | 0x4000) >>> 0
  const c = ((word(row, 2) & 0x3fffffff) | 0x80000000) >>> 0
  const d = hex8(word(row, 3))
  const bh = hex8(b)
  const ch = hex8(c)
  return `${hex8(a)}-${bh.slice(0, 4)}-${bh.slice(4)}-${ch.slice(0, 4)}-${ch.slice(4)}${d}`
}

/**
 * Whether item i of `total` is one of `selected` items spread evenly over them: exactly
 * `selected` items qualify, and any prefix holds its fair share.
 */
const spread = (i: number, selected: number, total: number) =>
  Math.floor(((i + 1) * selected) / total) > Math.floor((i * selected) / total)

/** How many of items [start, end) `spread` selects. */
const spreadCount = (start: number, end: number, selected: number, total: number) =>
  Math.floor((end * selected) / total) - Math.floor((start * selected) / total)

// --- COPY text format -------------------------------------------------------------------

/** Escapes a value for COPY's text format (backslash, tab, newline, carriage return). */
const copyText = (value: string) => value.replace(/[\\\t\n\r]/g, copyEscape)
const copyEscape = (c: string) =>
  c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r"

const line = (fields: ReadonlyArray<string | number>) => `${fields.join("\t")}\n`

/** Characters (bytes: all of it is ASCII) per chunk: few stream writes, few CopyData messages. */
const chunkSize = 256 * 1024

function* chunked(rows: Iterable<string>): Generator<string> {
  let chunk = ""
  for (const row of rows) {
    chunk += row
    if (chunk.length >= chunkSize) {
      yield chunk
      chunk = ""
    }
  }
  if (chunk !== "") yield chunk
}

/** Whole-second Unix time as timestamptz text (UTC). */
const timestamp = (unixSeconds: number) =>
  `${new Date(unixSeconds * 1000).toISOString().slice(0, 19).replace("T", " ")}+00`

// --- the deployment's shape -------------------------------------------------------------

const day = 86_400
const threeYears = 1095 * day

// biome-ignore format: a word list
const firstNames = [
  "alex", "blair", "casey", "dana", "eli", "farah", "gus", "hana",
  "ivan", "jun", "kai", "lena", "mo", "nia", "omar", "priya",
]
// biome-ignore format: a word list
const lastNames = [
  "smith", "garcia", "chen", "okafor", "novak", "silva", "kim", "haddad",
  "ivanova", "mueller", "tanaka", "dubois", "kowalski", "nguyen", "rossi", "larsen",
]

/** Everything derived from the options before any row is written. */
interface Plan {
  readonly orgs: number
  readonly users: number
  readonly templatesPerOrg: number
  readonly versionsPerTemplate: number
  readonly presetsPerVersion: number
  readonly apiKeys: number
  readonly expiredKeys: number
  readonly presets: number
  readonly desiredPresets: number
  readonly prebuiltWorkspacesPerPreset: number
  /** Per organization: whether any preset of it has desired_instances. */
  readonly hasPrebuilds: ReadonlyArray<boolean>
  /** Per organization: whether the prebuilds user's membership, group and group membership exist. */
  readonly reconciled: ReadonlyArray<boolean>
  readonly now: number
  readonly keys: StreamKeys
}

const count = (name: string, value: number, max = 2 ** 32 - 1) =>
  Number.isInteger(value) && value >= 0 && value <= max
    ? undefined
    : `${name} must be an integer from 0 to ${max}, got ${value}`

const fraction = (name: string, value: number) =>
  value >= 0 && value <= 1 ? undefined : `${name} must be between 0 and 1, got ${value}`

const makePlan = (options: SeedOptions): Effect.Effect<Plan, InvalidSeedOptions> => {
  const desiredFraction = options.presetDesiredFraction ?? 0.5
  const reconciledFraction = options.reconciledFraction ?? 0
  const perPreset = options.prebuiltWorkspacesPerPreset ?? 0
  const now = options.now ?? new Date("2026-01-01T00:00:00Z")
  const problems = [
    count("orgs", options.orgs),
    count("users", options.users),
    count("templatesPerOrg", options.templatesPerOrg),
    count("versionsPerTemplate", options.versionsPerTemplate),
    count("presetsPerVersion", options.presetsPerVersion),
    count("apiKeys", options.apiKeys),
    count("prebuiltWorkspacesPerPreset", perPreset),
    count("seed", options.seed, Number.MAX_SAFE_INTEGER),
    fraction("expiredFraction", options.expiredFraction),
    fraction("presetDesiredFraction", desiredFraction),
    fraction("reconciledFraction", reconciledFraction),
    Number.isNaN(now.getTime()) ? "now must be a valid date" : undefined,
    options.users > 0 && options.orgs === 0 ? "users need at least one organization" : undefined,
    options.apiKeys > 0 && options.users === 0 ? "API keys need at least one user" : undefined,
    options.orgs * options.templatesPerOrg > 0 && options.users === 0
      ? "templates need at least one user (their creator)"
      : undefined,
    options.templatesPerOrg > 0 && options.versionsPerTemplate === 0
      ? "templates need at least one version (their active version)"
      : undefined,
  ].filter((problem) => problem !== undefined)
  if (problems.length > 0)
    return Effect.fail(
      new InvalidSeedOptions({
        message: `invalid seed options: ${problems.join("; ")}`,
        hint: "correct the options (see coderops db seed --help)",
        exitCode: 3,
      }),
    )
  const presetsPerOrg =
    options.templatesPerOrg * options.versionsPerTemplate * options.presetsPerVersion
  const presets = options.orgs * presetsPerOrg
  const desiredPresets = Math.round(presets * desiredFraction)
  const hasPrebuilds = Array.from(
    { length: options.orgs },
    (_, o) => spreadCount(o * presetsPerOrg, (o + 1) * presetsPerOrg, desiredPresets, presets) > 0,
  )
  const withPrebuilds = hasPrebuilds.filter(Boolean).length
  const reconciledCount = Math.round(withPrebuilds * reconciledFraction)
  let rank = 0
  const reconciled = hasPrebuilds.map(
    (has) => has && spread(rank++, reconciledCount, withPrebuilds),
  )
  return Effect.succeed({
    orgs: options.orgs,
    users: options.users,
    templatesPerOrg: options.templatesPerOrg,
    versionsPerTemplate: options.versionsPerTemplate,
    presetsPerVersion: options.presetsPerVersion,
    apiKeys: options.apiKeys,
    expiredKeys: Math.round(options.apiKeys * options.expiredFraction),
    presets,
    desiredPresets,
    prebuiltWorkspacesPerPreset: perPreset,
    hasPrebuilds,
    reconciled,
    now: Math.floor(now.getTime() / 1000),
    keys: streamKeys(options.seed),
  })
}

const orgId = (plan: Plan, o: number) => uuid(plan.keys.organizations, o)
const userId = (plan: Plan, u: number) => uuid(plan.keys.users, u)
const templateIndex = (plan: Plan, o: number, t: number) => o * plan.templatesPerOrg + t
const versionIndex = (plan: Plan, ti: number, v: number) => ti * plan.versionsPerTemplate + v
const presetIndex = (plan: Plan, vi: number, p: number) => vi * plan.presetsPerVersion + p

/** desired_instances of a preset: NULL for most, 0..3 for the spread-out selected ones. */
const desiredInstances = (plan: Plan, pi: number) =>
  spread(pi, plan.desiredPresets, plan.presets)
    ? word(rowHash(plan.keys.presets, pi), 4) % 4
    : undefined

/** Users are spread round-robin, so organization o's first member is user o (if any). */
const primaryOrg = (plan: Plan, u: number) => u % plan.orgs

/** A template's creator: a member of its organization when it has one. */
const templateCreator = (plan: Plan, o: number, ti: number) => {
  const members = o < plan.users ? Math.floor((plan.users - 1 - o) / plan.orgs) + 1 : 0
  const w = word(rowHash(plan.keys.templates, ti), 4)
  return members > 0 ? o + plan.orgs * below(w, members) : below(w, plan.users)
}

function* organizationRows(plan: Plan) {
  for (let o = 0; o < plan.orgs; o++) {
    const created = timestamp(
      plan.now - threeYears + below(word(rowHash(plan.keys.organizations, o), 4), 365 * day),
    )
    const name = o === 0 ? "coder" : `org-${o + 1}`
    const display = o === 0 ? "Coder" : `Organization ${o + 1}`
    yield line([orgId(plan, o), name, display, "", created, created, o === 0 ? "t" : "f"])
  }
}

function* userRows(plan: Plan) {
  const key = plan.keys.users
  for (let u = 0; u < plan.users; u++) {
    const row = rowHash(key, u)
    const first = firstNames[word(row, 4) % firstNames.length]!
    const last = lastNames[word(row, 5) % lastNames.length]!
    const created = plan.now - below(word(row, 6), threeYears)
    const lastSeen = created + below(word(row, 7), plan.now - created)
    const w = word(row, 8) % 100
    const status = w < 85 ? "active" : w < 95 ? "dormant" : "suspended"
    const l = word(row, 9) % 100
    const loginType = l < 70 ? "password" : l < 95 ? "oidc" : "github"
    const name = `${first[0]!.toUpperCase()}${first.slice(1)} ${last[0]!.toUpperCase()}${last.slice(1)}`
    yield line([
      userId(plan, u),
      copyText(`${first}.${last}.${u + 1}@example.com`),
      copyText(`${first}-${last}-${u + 1}`),
      copyText(name),
      // An empty hashed_password (bytea; the backslash escaped for COPY).
      "\\\\x",
      timestamp(created),
      timestamp(lastSeen),
      status,
      u === 0 ? "{owner}" : "{}",
      loginType,
      timestamp(lastSeen),
    ])
  }
}

function* membershipRows(plan: Plan) {
  const key = plan.keys.memberships
  for (let u = 0; u < plan.users; u++) {
    const row = rowHash(key, u)
    const created = timestamp(plan.now - below(word(row, 0), threeYears))
    const user = userId(plan, u)
    const primary = primaryOrg(plan, u)
    const roles = word(row, 1) % 20 === 0 ? "{organization-admin}" : "{}"
    yield line([user, orgId(plan, primary), created, created, roles])
    // One user in five also belongs to a second organization.
    if (plan.orgs > 1 && word(row, 2) % 5 === 0) {
      const second = (primary + 1 + below(word(row, 3), plan.orgs - 1)) % plan.orgs
      yield line([user, orgId(plan, second), created, created, "{}"])
    }
  }
  const reconciledAt = timestamp(plan.now - 30 * day)
  for (let o = 0; o < plan.orgs; o++)
    if (plan.reconciled[o])
      yield line([prebuildsUserId, orgId(plan, o), reconciledAt, reconciledAt, "{}"])
}

const prebuildsGroupId = (plan: Plan, o: number) => uuid(plan.keys.prebuildsGroups, o)

function* groupRows(plan: Plan) {
  for (let o = 0; o < plan.orgs; o++) {
    const org = orgId(plan, o)
    yield line([org, "Everyone", org, "", 0])
    if (plan.reconciled[o])
      yield line([
        prebuildsGroupId(plan, o),
        prebuildsGroupName,
        org,
        copyText(prebuildsGroupDisplayName),
        0,
      ])
  }
}

function* groupMemberRows(plan: Plan) {
  for (let o = 0; o < plan.orgs; o++)
    if (plan.reconciled[o]) yield line([prebuildsUserId, prebuildsGroupId(plan, o)])
}

function* templateRows(plan: Plan) {
  const last = plan.versionsPerTemplate - 1
  for (let o = 0; o < plan.orgs; o++) {
    for (let t = 0; t < plan.templatesPerOrg; t++) {
      const ti = templateIndex(plan, o, t)
      const created = timestamp(
        plan.now - below(word(rowHash(plan.keys.templates, ti), 5), 365 * day),
      )
      yield line([
        uuid(plan.keys.templates, ti),
        created,
        created,
        orgId(plan, o),
        `template-${t + 1}`,
        "terraform",
        uuid(plan.keys.versions, versionIndex(plan, ti, last)),
        `Template ${t + 1}`,
        userId(plan, templateCreator(plan, o, ti)),
      ])
    }
  }
}

function* versionRows(plan: Plan) {
  for (let o = 0; o < plan.orgs; o++) {
    for (let t = 0; t < plan.templatesPerOrg; t++) {
      const ti = templateIndex(plan, o, t)
      const creator = userId(plan, templateCreator(plan, o, ti))
      for (let v = 0; v < plan.versionsPerTemplate; v++) {
        const vi = versionIndex(plan, ti, v)
        // Later versions are newer: version v is (versions - v) weeks old.
        const created = timestamp(plan.now - (plan.versionsPerTemplate - v) * 7 * day)
        yield line([
          uuid(plan.keys.versions, vi),
          uuid(plan.keys.templates, ti),
          orgId(plan, o),
          created,
          created,
          `v${v + 1}`,
          "",
          uuid(plan.keys.jobs, vi),
          creator,
        ])
      }
    }
  }
}

function* presetRows(plan: Plan) {
  const versions = plan.orgs * plan.templatesPerOrg * plan.versionsPerTemplate
  for (let vi = 0; vi < versions; vi++) {
    const created = timestamp(
      plan.now - (plan.versionsPerTemplate - (vi % plan.versionsPerTemplate)) * 7 * day,
    )
    for (let p = 0; p < plan.presetsPerVersion; p++) {
      const pi = presetIndex(plan, vi, p)
      const desired = desiredInstances(plan, pi)
      yield line([
        uuid(plan.keys.presets, pi),
        uuid(plan.keys.versions, vi),
        `preset-${p + 1}`,
        created,
        desired === undefined ? "\\N" : desired,
      ])
    }
  }
}

/** One prebuilt workspace: its index and what it belongs to. */
interface Prebuilt {
  readonly index: number
  readonly o: number
  readonly ti: number
  readonly vi: number
  readonly pi: number
  readonly k: number
}

/** Prebuilt workspaces exist only for presets of active versions, as Coder's reconciler keeps them. */
function* prebuiltWorkspaces(plan: Plan): Generator<Prebuilt> {
  const active = plan.versionsPerTemplate - 1
  for (let o = 0; o < plan.orgs; o++) {
    for (let t = 0; t < plan.templatesPerOrg; t++) {
      const ti = templateIndex(plan, o, t)
      const vi = versionIndex(plan, ti, active)
      for (let p = 0; p < plan.presetsPerVersion; p++) {
        const pi = presetIndex(plan, vi, p)
        const instances = Math.min(
          desiredInstances(plan, pi) ?? 0,
          plan.prebuiltWorkspacesPerPreset,
        )
        for (let k = 0; k < instances; k++)
          yield { index: pi * plan.prebuiltWorkspacesPerPreset + k, o, ti, vi, pi, k }
      }
    }
  }
}

/** Every prebuilt workspace was created a day ago, by a build whose job took 2 minutes. */
const builtAt = (plan: Plan) => plan.now - day

function* workspaceRows(plan: Plan) {
  const created = timestamp(builtAt(plan))
  for (const w of prebuiltWorkspaces(plan))
    yield line([
      uuid(plan.keys.workspaces, w.index),
      created,
      created,
      prebuildsUserId,
      orgId(plan, w.o),
      uuid(plan.keys.templates, w.ti),
      `prebuild-${w.pi + 1}-${w.k + 1}`,
    ])
}

/** The succeeded job of each prebuilt workspace's build. */
function* buildJobRows(plan: Plan) {
  const created = builtAt(plan)
  for (const w of prebuiltWorkspaces(plan)) {
    const build = uuid(plan.keys.builds, w.index)
    yield line([
      uuid(plan.keys.buildJobs, w.index),
      timestamp(created),
      timestamp(created + 120),
      timestamp(created + 5),
      timestamp(created + 120),
      "",
      orgId(plan, w.o),
      prebuildsUserId,
      "terraform",
      "file",
      "workspace_build",
      `{"workspace_build_id": "${build}"}`,
      // The version's template files, as Coder points a build's job at them.
      uuid(plan.keys.jobs, w.vi),
    ])
  }
}

/** Build 1 of each prebuilt workspace: a start by the prebuilds user, with its preset. */
function* buildRows(plan: Plan) {
  const created = builtAt(plan)
  for (const w of prebuiltWorkspaces(plan))
    yield line([
      uuid(plan.keys.builds, w.index),
      timestamp(created),
      timestamp(created + 120),
      uuid(plan.keys.workspaces, w.index),
      uuid(plan.keys.versions, w.vi),
      1,
      "start",
      prebuildsUserId,
      uuid(plan.keys.buildJobs, w.index),
      "initiator",
      uuid(plan.keys.presets, w.pi),
    ])
}

const tokenLifetimes = [30 * day, 90 * day, 365 * day]

const ascii = (text: string) => Buffer.from(text, "latin1")
const hexPairs = ascii(
  Array.from({ length: 256 }, (_, n) => n.toString(16).padStart(2, "0")).join(""),
)
const base62Codes = ascii("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
const octetBytes = Array.from({ length: 256 }, (_, n) => ascii(String(n)))

/**
 * COPY text written straight into byte buffers, for the hot path (millions of API keys):
 * no string is built per row. A full buffer is handed over and a new one started, since
 * the stream may still hold the previous one.
 */
class CopyWriter {
  // A chunk ends after the row that fills it; rows are far below 1 KiB.
  private buffer = Buffer.allocUnsafe(chunkSize + 1024)
  private position = 0
  private readonly dates = new Map<number, Buffer>()

  get full() {
    return this.position >= chunkSize
  }

  take(): Buffer {
    const chunk = this.buffer.subarray(0, this.position)
    this.buffer = Buffer.allocUnsafe(chunkSize + 1024)
    this.position = 0
    return chunk
  }

  byte(code: number) {
    this.buffer[this.position++] = code
  }

  bytes(bytes: Uint8Array) {
    this.buffer.set(bytes, this.position)
    this.position += bytes.length
  }

  /** A non-negative integer in decimal. */
  decimal(n: number) {
    const start = this.position
    do {
      this.buffer[this.position++] = 48 + (n % 10)
      n = Math.floor(n / 10)
    } while (n > 0)
    this.buffer.subarray(start, this.position).reverse()
  }

  /** A 32-bit word as 8 hex digits. */
  hex(w: number) {
    for (let shift = 24; shift >= 0; shift -= 8) {
      const pair = ((w >>> shift) & 255) * 2
      this.buffer[this.position++] = hexPairs[pair]!
      this.buffer[this.position++] = hexPairs[pair + 1]!
    }
  }

  /** `count` base62 digits of n, least significant first. */
  base62(n: number, count: number) {
    for (let d = 0; d < count; d++) {
      this.buffer[this.position++] = base62Codes[n % 62]!
      n = Math.floor(n / 62)
    }
  }

  /** Whole-second Unix time as `YYYY-MM-DD hh:mm:ss+00`, each day's date part cached. */
  timestamp(unixSeconds: number) {
    const d = Math.floor(unixSeconds / day)
    let date = this.dates.get(d)
    if (date === undefined) {
      date = ascii(timestamp(d * day).slice(0, 11))
      this.dates.set(d, date)
    }
    this.bytes(date)
    let s = unixSeconds - d * day
    const h = Math.floor(s / 3600)
    s -= h * 3600
    const m = Math.floor(s / 60)
    s -= m * 60
    const b = this.buffer
    let p = this.position
    b[p++] = 48 + Math.floor(h / 10)
    b[p++] = 48 + (h % 10)
    b[p++] = 58 // :
    b[p++] = 48 + Math.floor(m / 10)
    b[p++] = 48 + (m % 10)
    b[p++] = 58
    b[p++] = 48 + Math.floor(s / 10)
    b[p++] = 48 + (s % 10)
    b[p++] = 43 // +
    b[p++] = 48
    b[p++] = 48
    this.position = p
  }
}

const tab = 9
const newline = 10
const dot = 46

/** API keys [from, to) as COPY text chunks. */
function* apiKeyChunks(
  plan: Plan,
  scopeColumn: "scope" | "scopes",
  from: number,
  to: number,
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
    if (out.full) yield out.take()
  }
  const rest = out.take()
  if (rest.length > 0) yield rest
}

/** Parallel COPY streams for api_keys. */
const apiKeyStreams = 2

/** Every table the generator writes, in load order (parents before children). */
const seededTables = [
  "organizations",
  "users",
  "organization_members",
  "groups",
  "group_members",
  "templates",
  "template_versions",
  "template_version_presets",
  "workspaces",
  "provisioner_jobs",
  "workspace_builds",
  "api_keys",
] as const

/**
 * Seeds a fresh Coder database with a synthetic deployment, deterministically: the same
 * seed and options give byte-identical rows. Every table is loaded with COPY from
 * generators that stream chunks of rows, so memory stays flat for millions of API keys.
 * Everything but the API keys is one transaction; the API keys follow in parallel COPY
 * streams (see below), so a failure there can leave some of them: seed a fresh database
 * again. Call it outside a transaction. Works on the schema before migration 000371
 * (api_keys.scope) and after it (scopes, allow_list), so 000371 can be rehearsed on
 * realistic data.
 */
export const seedDeployment = Effect.fn("SyntheticDeployment.seed")(function* (
  options: SeedOptions,
) {
  const db = yield* Db
  const started = performance.now()
  const plan = yield* makePlan(options)

  const [target] = yield* db.query<{ missing: Array<string>; scope_columns: Array<string> }>(
    "GetSeedTargetSchema",
    `SELECT
       ARRAY(SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NULL) AS missing,
       ARRAY(SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = 'api_keys'
               AND column_name IN ('scope', 'scopes')) AS scope_columns`,
    [seededTables],
  )
  const { missing, scope_columns: scopeColumns } = target!
  if (missing.length > 0 || scopeColumns.length === 0)
    return yield* new SchemaMissing({
      missing: missing.length > 0 ? missing : ["api_keys.scope or api_keys.scopes"],
      message: `the Coder schema is missing here: no ${missing.length > 0 ? missing.join(", ") : "api_keys.scope or api_keys.scopes column"}`,
      hint: "run `coderops migrate up` first",
    })
  const scopeColumn = scopeColumns.includes("scopes") ? "scopes" : "scope"

  /** Times one table's COPY and reports it. */
  const load = Effect.fn("SyntheticDeployment.load")(function* (
    table: string,
    copy: Effect.Effect<number, SqlError>,
  ) {
    const tableStarted = performance.now()
    const rows = yield* copy
    options.onProgress?.(table, rows, (performance.now() - tableStarted) / 1000)
    return rows
  })

  const loaded = yield* db.transaction(
    "SeedDeployment",
    Effect.gen(function* () {
      const [occupied] = yield* db.query<{ organizations: boolean; api_keys: boolean }>(
        "CheckSeedTargetEmpty",
        `SELECT EXISTS (SELECT 1 FROM organizations) AS organizations,
                EXISTS (SELECT 1 FROM api_keys) AS api_keys`,
      )
      if (occupied?.organizations || occupied?.api_keys)
        return yield* new SeedTargetNotEmpty({
          message: `the database already has ${occupied.organizations ? "organizations" : "API keys"}: seeding would mix synthetic data into it`,
          hint: "seed a fresh database, e.g. one created for rehearsal",
        })
      const organizations = yield* load(
        "organizations",
        db.copyFrom(
          "CopySeedOrganizations",
          `COPY organizations (id, name, display_name, description, created_at, updated_at, is_default) FROM STDIN`,
          chunked(organizationRows(plan)),
        ),
      )
      const users = yield* load(
        "users",
        db.copyFrom(
          "CopySeedUsers",
          `COPY users (id, email, username, name, hashed_password, created_at, updated_at, status, rbac_roles, login_type, last_seen_at) FROM STDIN`,
          chunked(userRows(plan)),
        ),
      )
      yield* load(
        "organization_members",
        db.copyFrom(
          "CopySeedOrganizationMembers",
          `COPY organization_members (user_id, organization_id, created_at, updated_at, roles) FROM STDIN`,
          chunked(membershipRows(plan)),
        ),
      )
      yield* load(
        "groups",
        db.copyFrom(
          "CopySeedGroups",
          `COPY groups (id, name, organization_id, display_name, quota_allowance) FROM STDIN`,
          chunked(groupRows(plan)),
        ),
      )
      yield* load(
        "group_members",
        db.copyFrom(
          "CopySeedGroupMembers",
          `COPY group_members (user_id, group_id) FROM STDIN`,
          chunked(groupMemberRows(plan)),
        ),
      )
      const templates = yield* load(
        "templates",
        db.copyFrom(
          "CopySeedTemplates",
          `COPY templates (id, created_at, updated_at, organization_id, name, provisioner, active_version_id, display_name, created_by) FROM STDIN`,
          chunked(templateRows(plan)),
        ),
      )
      const templateVersions = yield* load(
        "template_versions",
        db.copyFrom(
          "CopySeedTemplateVersions",
          `COPY template_versions (id, template_id, organization_id, created_at, updated_at, name, readme, job_id, created_by) FROM STDIN`,
          chunked(versionRows(plan)),
        ),
      )
      const presets = yield* load(
        "template_version_presets",
        db.copyFrom(
          "CopySeedPresets",
          `COPY template_version_presets (id, template_version_id, name, created_at, desired_instances) FROM STDIN`,
          chunked(presetRows(plan)),
        ),
      )
      const prebuiltWorkspaces = yield* load(
        "workspaces",
        db.copyFrom(
          "CopySeedWorkspaces",
          `COPY workspaces (id, created_at, updated_at, owner_id, organization_id, template_id, name) FROM STDIN`,
          chunked(workspaceRows(plan)),
        ),
      )
      yield* load(
        "provisioner_jobs",
        db.copyFrom(
          "CopySeedProvisionerJobs",
          `COPY provisioner_jobs (id, created_at, updated_at, started_at, completed_at, error, organization_id, initiator_id, provisioner, storage_method, type, input, file_id) FROM STDIN`,
          chunked(buildJobRows(plan)),
        ),
      )
      yield* load(
        "workspace_builds",
        db.copyFrom(
          "CopySeedWorkspaceBuilds",
          `COPY workspace_builds (id, created_at, updated_at, workspace_id, template_version_id, build_number, transition, initiator_id, job_id, reason, template_version_preset_id) FROM STDIN`,
          chunked(buildRows(plan)),
        ),
      )
      return { organizations, users, templates, templateVersions, presets, prebuiltWorkspaces }
    }),
  )

  // API keys (millions of rows) load through parallel COPY streams, each on its own
  // connection and so its own transaction, once the users they reference are committed:
  // one server backend is CPU-bound on them (text input, the foreign key check and
  // three indexes per row), and two load about twice as fast.
  const keysStarted = performance.now()
  const keyColumns = `id, hashed_secret, user_id, last_used, expires_at, created_at, updated_at, login_type, lifetime_seconds, ip_address, ${scopeColumn === "scopes" ? "scopes, allow_list" : "scope"}, token_name`
  const slices = Array.from({ length: apiKeyStreams }, (_, n) => [
    Math.floor((plan.apiKeys * n) / apiKeyStreams),
    Math.floor((plan.apiKeys * (n + 1)) / apiKeyStreams),
  ])
  const apiKeys = (yield* Effect.forEach(
    slices,
    ([from, to]) =>
      db.copyFrom(
        "CopySeedApiKeys",
        `COPY api_keys (${keyColumns}) FROM STDIN`,
        apiKeyChunks(plan, scopeColumn, from!, to!),
      ),
    { concurrency: "unbounded" },
  )).reduce((sum, rows) => sum + rows, 0)
  options.onProgress?.("api_keys", apiKeys, (performance.now() - keysStarted) / 1000)

  // Planner statistics for the new rows, so row estimates (and rehearsals) are right.
  yield* db.execute("AnalyzeSeededTables", `ANALYZE ${seededTables.join(", ")}`)
  return {
    ...loaded,
    apiKeys,
    expiredApiKeys: plan.expiredKeys,
    organizationsWithPrebuilds: plan.hasPrebuilds.filter(Boolean).length,
    reconciledOrganizations: plan.reconciled.filter(Boolean).length,
    apiKeyScopeColumn: scopeColumn,
    seconds: (performance.now() - started) / 1000,
  } satisfies SeedReport
})
