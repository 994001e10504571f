import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { ExitCode } from "@coderops/cli-kit"
import { describe, expect, it } from "vitest"
import {
  type Container,
  cliBin,
  containersOf,
  deployDir,
  dockerEntrypoint,
  dockerInstallDir,
  type Json,
  loadManifests,
  type Manifest,
  nameOf,
  parseCommandLine,
  parseYaml,
  podTemplateOf,
  root,
  schemaProblems,
  unknownFieldProblems,
  yamlFiles,
} from "./manifests.js"

const manifests = loadManifests()
const workloads = manifests.flatMap((m) => {
  const pod = podTemplateOf(m.object)
  return pod === undefined ? [] : [{ m, pod, podSpec: pod.spec as Json }]
})
const entrypoint = dockerEntrypoint()
const isCli = (c: Container) => JSON.stringify(c.command) === JSON.stringify(entrypoint)
const cliContainers = workloads.flatMap((w) =>
  containersOf(w.pod)
    .filter(isCli)
    .map((c) => ({ ...w, c })),
)

/** `--flag value` of a command line; undefined when absent. */
const flagValue = (args: ReadonlyArray<string>, flag: string) => {
  const at = args.indexOf(flag)
  return at === -1 ? undefined : args[at + 1]
}
/** Runs until stopped: the exporter, `reconcile --watch`, `migrate watch` without --once. */
const longRunning = (args: ReadonlyArray<string>) =>
  args[0] === "metrics" ||
  args.includes("--watch") ||
  (args[1] === "watch" && !args.includes("--once"))

describe("deploy/ manifests", () => {
  it("holds the workloads the docs describe", () => {
    expect(manifests.map(nameOf)).toEqual(
      expect.arrayContaining([
        expect.stringContaining("Deployment/coderops-metrics"),
        expect.stringContaining("Service/coderops-metrics"),
        expect.stringContaining("Deployment/coderops-prebuilds-reconcile"),
        expect.stringContaining("CronJob/coderops-purge-api-keys"),
        expect.stringContaining("Job/coderops-upgrade-plan"),
        expect.stringContaining("Job/coderops-migrate-watch"),
        expect.stringContaining("Job/coderops-migrate-check"),
      ]),
    )
    expect(cliContainers.map(({ c }) => c.args?.slice(0, 2).join(" ")).sort()).toEqual([
      "db purge",
      "metrics serve",
      "migrate watch",
      "migrate watch",
      "prebuilds reconcile",
      "upgrade plan",
    ])
  })

  it.each(manifests.map((m) => [nameOf(m), m] as const))(
    "%s is valid against the Kubernetes API schema",
    async (_, m: Manifest) => {
      expect(await schemaProblems(m)).toEqual([])
    },
  )

  it("has no field the Kubernetes API does not know (kubectl's strict validation)", () => {
    expect(unknownFieldProblems(manifests)).toEqual([])
  })

  it("docs/kubernetes.md names every file of deploy/", () => {
    const docs = readFileSync(join(root, "docs/kubernetes.md"), "utf8")
    for (const file of [...yamlFiles(), "deploy/Dockerfile"])
      expect(docs, file).toContain(`\`${file.slice("deploy/".length)}\``)
  })

  it("the kustomization lists every manifest beside it, and only files that exist", () => {
    const [kustomization] = parseYaml("deploy/kustomization.yaml")
    const resources = (kustomization?.object.resources ?? []) as Array<string>
    for (const resource of resources) expect(existsSync(join(deployDir, resource))).toBe(true)
    const beside = yamlFiles()
      .filter((f) => !f.includes("/upgrade/") && !f.endsWith("kustomization.yaml"))
      .map((f) => f.slice("deploy/".length))
    expect([...resources].sort()).toEqual(beside)
    const images = (kustomization?.object.images ?? []) as Array<{ name: string }>
    const used = new Set(
      workloads.flatMap((w) => containersOf(w.pod).map((c) => c.image.split(":")[0])),
    )
    for (const { name } of images) expect(used).toContain(name)
  })
})

describe("coderops containers", () => {
  it("start the CLI's own bin through the image's ENTRYPOINT (the node process itself)", () => {
    expect(entrypoint).toEqual([
      "node",
      join(dockerInstallDir(), "node_modules/coderops", cliBin()),
    ])
    // Any other command is an init container's (git fetching Coder's migrations).
    for (const w of workloads) {
      const main = (w.podSpec.containers ?? []) as Array<Container>
      for (const c of main) expect(isCli(c), `${nameOf(w.m)} ${c.name}`).toBe(true)
    }
  })

  it.each(cliContainers.map(({ m, c }) => [nameOf(m), c.args ?? []] as const))(
    "%s runs a coderops command whose flags the CLI accepts",
    async (_, args) => {
      await expect(parseCommandLine(args)).resolves.toMatchObject({ id: expect.any(String) })
    },
  )

  it("a renamed or misspelled flag is refused by that check", async () => {
    await expect(parseCommandLine(["metrics", "serve", "--metrics-adr", ":9464"])).rejects.toThrow(
      /metrics-adr/,
    )
    await expect(parseCommandLine(["upgrade", "plan", "--format", "yaml"])).rejects.toThrow(
      /format/,
    )
    await expect(parseCommandLine(["metrics", "scrape"])).rejects.toThrow(/no coderops command/)
  })

  it.each(cliContainers.map(({ m, c }) => [nameOf(m), c] as const))(
    "%s takes the database from Coder's Secret, never from its command line",
    (_, c) => {
      expect(c.args ?? []).not.toContain("--database-url")
      expect(c.args?.some((a) => a.includes("://"))).toBe(false)
      const env = (c.env ?? []) as Array<Json>
      const url = env.find((e) => e.name === "CODER_PG_CONNECTION_URL")
      expect(url?.valueFrom).toEqual({ secretKeyRef: { name: "coder-db-url", key: "url" } })
    },
  )

  it.each(workloads.map((w) => [nameOf(w.m), w] as const))(
    "%s runs as non-root on a read-only root filesystem, with a memory limit",
    (_, { pod, podSpec }) => {
      expect(podSpec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 })
      expect(podSpec.automountServiceAccountToken).toBe(false)
      for (const c of containersOf(pod)) {
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
        })
        expect((c.resources as Json | undefined)?.limits).toHaveProperty("memory")
      }
    },
  )

  it.each(cliContainers.filter(({ c }) => longRunning(c.args ?? [])).map((w) => [nameOf(w.m), w]))(
    "%s (long-running) is probed and scraped on the port it listens on, and stops in time",
    (_, { c, pod, podSpec }) => {
      const addr = flagValue(c.args ?? [], "--metrics-addr")
      expect(addr).toBeDefined()
      const port = Number(addr?.slice(addr.lastIndexOf(":") + 1))
      const ports = (c.ports ?? []) as Array<{ name: string; containerPort: number }>
      const named = (p: unknown) =>
        typeof p === "number" ? p : ports.find((x) => x.name === p)?.containerPort
      const liveness = (c.livenessProbe as Json | undefined)?.httpGet as Json | undefined
      expect(liveness?.path).toBe("/healthz")
      expect(named(liveness?.port)).toBe(port)
      const readiness = (c.readinessProbe as Json | undefined)?.httpGet as Json | undefined
      if (readiness !== undefined) {
        expect(readiness.path).toBe("/readyz")
        expect(named(readiness.port)).toBe(port)
      }
      const annotations = ((pod.metadata as Json | undefined)?.annotations ?? {}) as Json
      expect(annotations["prometheus.io/port"]).toBe(String(port))
      // It exits 0 within about 1 s of SIGTERM (README, "Long-running modes").
      expect(podSpec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(5)
    },
  )

  it("Services send traffic to a port of the pods they select", () => {
    for (const service of manifests.filter((m) => m.object.kind === "Service")) {
      const spec = service.object.spec as { selector: Json; ports: Array<{ targetPort: unknown }> }
      const pods = workloads.filter(({ pod }) => {
        const labels = ((pod.metadata as Json).labels ?? {}) as Json
        return Object.entries(spec.selector).every(([k, v]) => labels[k] === v)
      })
      expect(pods, nameOf(service)).toHaveLength(1)
      const podPorts = containersOf(pods[0]!.pod).flatMap(
        (c) => (c.ports ?? []) as Array<{ name: string; containerPort: number }>,
      )
      for (const { targetPort } of spec.ports)
        expect(podPorts.some((p) => p.name === targetPort || p.containerPort === targetPort)).toBe(
          true,
        )
    }
  })

  it("Jobs act on documented exit codes, and fail at once on a dirty database, never while a migration runs", () => {
    const documented = new Set<number>(Object.values(ExitCode))
    for (const { m, podSpec } of workloads) {
      const spec = m.object.spec as Json
      const jobSpec = (m.object.kind === "CronJob" ? (spec.jobTemplate as Json).spec : spec) as Json
      const rules = ((jobSpec.podFailurePolicy as Json | undefined)?.rules ?? []) as Array<Json>
      const failJob = rules.flatMap((rule) => {
        const codes = (rule.onExitCodes as { values: Array<number> } | undefined)?.values ?? []
        for (const code of codes) expect(documented).toContain(code)
        return rule.action === "FailJob" ? codes : []
      })
      expect(failJob, nameOf(m)).not.toContain(ExitCode.migrationRunning)
      const [main] = podSpec.containers as Array<Container>
      if (main?.args?.includes("--once")) expect(failJob).toContain(ExitCode.databaseDirty)
    }
  })
})
