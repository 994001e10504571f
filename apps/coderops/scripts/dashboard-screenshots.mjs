// Pictures of the Grafana dashboard's panels from a REAL scrape, without Grafana or
// Prometheus (a dev tool: the PNGs in docs/images/ are committed; CI does not run it).
//
// It starts an embedded PostgreSQL in a new folder, migrates it to 000370 and seeds a
// deployment, runs the real processes (`metrics serve`, `prebuilds reconcile --watch
// --metrics-addr`, `migrate watch --metrics-addr`) and one-shot commands with
// `--metrics-file` (a purge; `migrate up` of 000371 held up by a session that locks api_keys,
// while a coderd-like session waits for the migration lock), scrapes the three endpoints and
// reads the textfiles (as node_exporter's textfile collector would) every 2 s, evaluates
// each panel's PromQL over those samples (promql.mjs), draws each dashboard row as SVG
// (dashboard-svg.mjs) and photographs it with headless Chromium (Debian's `chromium`).
//
//   node apps/coderops/scripts/dashboard-screenshots.mjs   (after a build; about 2 minutes)
import { execFile, spawn } from "node:child_process"
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { rowPage } from "./dashboard-svg.mjs"
import { evaluate, seriesKey } from "./promql.mjs"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const cli = join(root, "apps/coderops/bin/run.js")
const chromium = process.env.CHROMIUM ?? "/usr/bin/chromium"
const scrapeEvery = 2
/** Grafana's $__rate_interval: four scrape intervals. */
const rateInterval = 4 * scrapeEvery

const work = await mkdtemp(join(tmpdir(), "coderops-shots-"))
// As root the server runs as `postgres`, which must pass through this folder.
await chmod(work, 0o711)
const textfiles = join(work, "textfiles")
await mkdir(textfiles)
const env = { ...process.env, CODEROPS_DATA_DIR: join(work, "pg"), NODE_ENV: "production" }
delete env.DATABASE_URL
delete env.CODER_PG_CONNECTION_URL

const run = async (...args) => {
  const { stdout } = await promisify(execFile)(process.execPath, [cli, ...args], {
    env,
    maxBuffer: 1 << 26,
  })
  return stdout
}
const started = []
const start = (...args) => {
  const child = spawn(process.execPath, [cli, ...args], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
  })
  let stderr = ""
  child.stderr.on("data", (chunk) => {
    stderr += chunk
  })
  started.push(child)
  return { child, stderr: () => stderr }
}
const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000))
const addressOf = async (running) => {
  for (let i = 0; i < 300; i++) {
    const found = /http:\/\/(127\.0\.0\.1:\d+)\/metrics/.exec(running.stderr())
    if (found) return found[1]
    await sleep(0.1)
  }
  throw new Error(`no address: ${running.stderr()}`)
}

/** psql on the embedded server, the password in its environment only. */
const psql = async (sql) => {
  const server = JSON.parse(await readFile(join(work, "pg", "server.json"), "utf8"))
  const child = spawn(
    "psql",
    [
      "-h",
      "127.0.0.1",
      "-p",
      String(server.port),
      "-U",
      server.user,
      "-d",
      "coder",
      "-v",
      "ON_ERROR_STOP=1",
      "-qc",
      sql,
    ],
    {
      env: { ...process.env, PGPASSWORD: server.password },
      stdio: ["ignore", "ignore", "inherit"],
    },
  )
  // Resolves at once with a promise of its end, so a caller can wait for it or not.
  return { ended: new Promise((resolve) => child.on("exit", resolve)) }
}

/** Every sample of every scrape: key → { labels, points }. */
const store = new Map()
const record = (text, target, t) => {
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line)
    if (!match) continue
    const labels = { __name__: match[1], ...target }
    for (const [, name, value] of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[name] = value.replace(/\\(.)/g, "$1")
    const key = seriesKey(labels)
    const series = store.get(key) ?? { labels, points: [] }
    series.points.push([t, match[3] === "+Inf" ? Number.POSITIVE_INFINITY : Number(match[3])])
    store.set(key, series)
  }
}

try {
  console.log(`working in ${work}`)
  await run("migrate", "goto", "370", "--metrics-file", join(textfiles, "migrate.prom"))
  await run(
    "db",
    "seed",
    "--orgs",
    "6",
    "--users",
    "300",
    "--api-keys",
    "60000",
    "--expired-fraction",
    "0.6",
    "--reconciled-fraction",
    "0.5",
    "--prebuilt-workspaces-per-preset",
    "1",
  )
  const targets = {
    "metrics serve": await addressOf(
      start("metrics", "serve", "--metrics-addr", "127.0.0.1:0", "--min-refresh", "0s"),
    ),
    "prebuilds reconcile --watch": await addressOf(
      start(
        "prebuilds",
        "reconcile",
        "--watch",
        "--interval",
        "3s",
        "--metrics-addr",
        "127.0.0.1:0",
      ),
    ),
    "migrate watch": await addressOf(
      start("migrate", "watch", "--metrics-addr", "127.0.0.1:0", "--interval", "1s"),
    ),
  }
  const t0 = Date.now() / 1000
  let scraping = true
  const scrapes = (async () => {
    while (scraping) {
      const t = Date.now() / 1000
      await Promise.all([
        ...Object.entries(targets).map(async ([job, address]) =>
          record(
            await (await fetch(`http://${address}/metrics`)).text(),
            { job, instance: address },
            t,
          ),
        ),
        ...(await readdir(textfiles))
          .filter((file) => file.endsWith(".prom"))
          .map(async (file) =>
            record(
              await readFile(join(textfiles, file), "utf8"),
              { job: "node_exporter textfile", instance: file },
              t,
            ),
          ),
      ])
      await sleep(Math.max(0, scrapeEvery - (Date.now() / 1000 - t)))
    }
  })()
  const at = (seconds) => sleep(Math.max(0, t0 + seconds - Date.now() / 1000))
  // Keys keep expiring: now and then a few thousand more keys expired 30 days ago, then a purge
  // run, as a cron job would. Each run writes its textfile anew, from 0: Prometheus sees a
  // counter reset when a run purges fewer keys than the one before, an increase of the
  // difference when it purges more, and nothing when as many (docs/metrics.md says so).
  // An organization with prebuilds appears twice: the reconciler's next pass creates its
  // membership, group and group membership.
  const newOrganization = async (n) =>
    (
      await psql(`INSERT INTO organizations (id, name, display_name, created_at, updated_at, description)
        VALUES ('22222222-2222-4222-8222-00000000000${n}', 'late-${n}', 'Late ${n}', now(), now(), '');
      INSERT INTO templates (id, created_at, updated_at, organization_id, name, active_version_id, created_by, provisioner)
        VALUES ('33333333-3333-4333-8333-00000000000${n}', now(), now(), '22222222-2222-4222-8222-00000000000${n}', 'late', '44444444-4444-4444-8444-00000000000${n}', (SELECT id FROM users WHERE NOT is_system LIMIT 1), 'terraform');
      INSERT INTO template_versions (id, template_id, organization_id, created_at, updated_at, name, job_id, created_by, readme)
        VALUES ('44444444-4444-4444-8444-00000000000${n}', '33333333-3333-4333-8333-00000000000${n}', '22222222-2222-4222-8222-00000000000${n}', now(), now(), 'v1', gen_random_uuid(), (SELECT id FROM users WHERE NOT is_system LIMIT 1), '');
      INSERT INTO template_version_presets (template_version_id, name, desired_instances) VALUES ('44444444-4444-4444-8444-00000000000${n}', 'small', 2)`)
    ).ended
  const expire = async (keys) =>
    (
      await psql(`CREATE TEMP TABLE k AS SELECT * FROM api_keys LIMIT ${keys};
      UPDATE k SET id = substr(md5(random()::text), 1, 10), token_name = md5(random()::text), expires_at = now() - interval '30 days';
      INSERT INTO api_keys SELECT * FROM k`)
    ).ended
  const purge = () =>
    run(
      "db",
      "purge",
      "api-keys",
      "--batch-size",
      "500",
      "--metrics-file",
      join(textfiles, "purge.prom"),
    )
  await at(6)
  await purge()
  await newOrganization(1)
  for (const [second, keys] of [
    [16, 6000],
    [26, 2000],
  ]) {
    await at(second)
    await expire(keys)
    await purge()
  }
  await at(34)
  // A report holds api_keys for 30 s: 000371 waits for it, holding the migration lock; users'
  // queries queue behind the migration; a coderd replica starting waits for the migration
  // lock as coderd does (pg_advisory_xact_lock in a transaction).
  const { ended: report } = await psql(
    "BEGIN; LOCK TABLE api_keys IN ACCESS SHARE MODE; SELECT pg_sleep(30); COMMIT",
  )
  await sleep(1)
  const upgrade = run(
    "migrate",
    "up",
    "--lock-timeout",
    "0",
    "--metrics-file",
    join(textfiles, "migrate.prom"),
  )
  await sleep(2)
  const { ended: replica } = await psql(
    "BEGIN; SELECT pg_advisory_xact_lock(1037453835920848937); COMMIT",
  )
  const users = await Promise.all(
    [1, 2, 3].map(async () => (await psql("SELECT count(*) FROM api_keys")).ended),
  )
  await Promise.all([upgrade, replica, report, ...users])
  await newOrganization(2)
  for (const [second, keys] of [
    [58, 5000],
    [68, 8000],
  ]) {
    await at(second)
    await expire(keys)
    await purge()
  }
  await at(80)
  scraping = false
  await scrapes
  const t1 = Date.now() / 1000

  // Evaluate every panel at every scrape step, as a Grafana range query would.
  const dashboard = JSON.parse(
    await readFile(join(root, "packages/metrics/dashboards/coderops.json"), "utf8"),
  )
  const series = [...store.values()]
  const steps = []
  for (let t = t0 + scrapeEvery; t <= t1; t += scrapeEvery / 2) steps.push(t)
  const drawn = dashboard.panels.map((panel) => {
    if (panel.type === "row") return panel
    const lines = new Map()
    for (const [index, target] of panel.targets.entries()) {
      const expr = target.expr
        .replaceAll("$__rate_interval", `${rateInterval}s`)
        .replaceAll("$instance", ".*")
      for (const t of steps) {
        for (const { labels, value } of evaluate(expr, series, t, 5 * scrapeEvery)) {
          const legend = (target.legendFormat || seriesKey(labels)).replace(
            /\{\{\s*(\w+)\s*\}\}/g,
            (_, name) => labels[name] ?? "",
          )
          // One line per series, as Grafana draws it, even when two share a legend.
          const key = `${index} ${seriesKey(labels)}`
          const line = lines.get(key) ?? {
            legend,
            points: steps.map((step) => [step, Number.NaN]),
          }
          line.points[steps.indexOf(t)][1] = value
          lines.set(key, line)
        }
      }
    }
    return { ...panel, unit: panel.fieldConfig?.defaults?.unit, series: [...lines.values()] }
  })

  // One picture per dashboard row.
  const images = join(root, "docs/images")
  await mkdir(images, { recursive: true })
  const rows = []
  for (const panel of drawn) {
    if (panel.type === "row") rows.push({ title: panel.title, panels: [] })
    else rows.at(-1).panels.push(panel)
  }
  const width = 1400
  // The last scrape of metrics serve that saw the migration running (under load its start
  // is late, so no fixed delay after `migrate up` would find it).
  const migrating = series.find(
    (one) =>
      one.labels.__name__ === "coderops_migration_in_progress" &&
      one.labels.job === "metrics serve",
  )
  const lastMigrating = migrating?.points.findLast(([, v]) => v === 1)?.[0] ?? t1
  const timeOf = (t) => {
    const e = Math.round(t - t0)
    return `${Math.floor(e / 60)}:${String(e % 60).padStart(2, "0")}`
  }
  const names = []
  for (const [i, row] of rows.entries()) {
    // The Upgrade row as it looked while 000371 waited for its lock (at the end of the run
    // the migration is over and the row says so).
    const end = row.title.startsWith("Upgrade") ? lastMigrating : t1
    const page = rowPage({
      title: row.title.startsWith("Upgrade")
        ? `${row.title}, at ${timeOf(end)} while 000371 waits`
        : row.title,
      panels: row.panels.map((panel) => ({
        ...panel,
        series: panel.series.map((line) => ({
          ...line,
          points: line.points.filter(([t]) => t <= end),
        })),
      })),
      range: { start: t0, end },
      width,
      note: `drawn by apps/coderops/scripts/dashboard-screenshots.mjs from ${Math.round(t1 - t0)} s of real scrapes every ${scrapeEvery} s (not Grafana); $__rate_interval = ${rateInterval}s`,
    })
    const html = join(work, `row-${i}.html`)
    await writeFile(html, page.html)
    const name = `dashboard-${String(i + 1).padStart(2, "0")}-${row.title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/-$/, "")}.png`
    await promisify(execFile)(chromium, [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--hide-scrollbars",
      `--user-data-dir=${join(work, `chromium-${i}`)}`,
      `--screenshot=${join(images, name)}`,
      `--window-size=${width},${page.height}`,
      `file://${html}`,
    ])
    names.push(name)
  }
  console.log(`wrote ${names.length} pictures to docs/images: ${names.join(", ")}`)
  console.log(`${store.size} series, ${steps.length} steps`)
} finally {
  for (const child of started) child.kill("SIGTERM")
  await Promise.all(
    started.map(
      (child) =>
        new Promise((resolve) => (child.exitCode !== null ? resolve() : child.on("exit", resolve))),
    ),
  )
  await run("db", "embedded", "stop").catch(() => {})
  await rm(work, { recursive: true, force: true })
}
