import { useTestDatabase } from "@coderops/test-postgres"
import { beforeAll, describe, expect, it } from "vitest"
import { coderops } from "./cli.js"

const database = useTestDatabase()

interface Status {
  readonly organizations: ReadonlyArray<{
    organizationName: string
    hasMembership: boolean
    groupId: string | null
    inGroup: boolean
  }>
  readonly presets: ReadonlyArray<{
    organizationName: string
    templateName: string
    presetName: string
    desired: number
    running: number
  }>
}

const mark = (ok: boolean) => (ok ? "yes" : "MISSING")

/** A table's rows as their cells: the lines after its header, up to the blank line. */
const tableRows = (text: string, header: RegExp): Array<Array<string>> => {
  const lines = text.split("\n")
  const start = lines.findIndex((line) => header.test(line))
  expect(start).toBeGreaterThanOrEqual(0)
  const end = lines.indexOf("", start)
  return lines.slice(start + 1, end).map((line) => line.trim().split(/\s{3,}/))
}

describe("coderops prebuilds status", () => {
  beforeAll(async () => {
    const url = database.url
    expect((await coderops(["migrate", "up", "--database-url", url])).code).toBe(0)
    const seeded = await coderops([
      "db",
      "seed",
      "--database-url",
      url,
      "--orgs",
      "300",
      "--users",
      "300",
      "--api-keys",
      "0",
      "--reconciled-fraction",
      "0.5",
      "--prebuilt-workspaces-per-preset",
      "1",
    ])
    expect(seeded.code, seeded.stderr).toBe(0)
  })

  it("prints every organization and every preset, as --json reports them", async () => {
    const url = database.url
    const [text, json] = await Promise.all([
      coderops(["prebuilds", "status", "--database-url", url]),
      coderops(["prebuilds", "status", "--json", "--database-url", url]),
    ])
    expect(text.code).toBe(0)
    expect(json.code).toBe(0)
    const status = JSON.parse(json.stdout) as Status
    // The seed: 300 organizations (and Coder's default one), half of them reconciled.
    expect(status.organizations.length).toBeGreaterThanOrEqual(300)
    const incomplete = status.organizations.filter((o) => !o.hasMembership || !o.inGroup)
    expect(incomplete.length).toBeGreaterThan(100)
    expect(text.stdout).toContain(
      `${status.organizations.length} organizations with prebuilds; ${incomplete.length} need reconciling`,
    )

    // One line per organization, in order, each with its marks.
    const organizations = tableRows(
      text.stdout,
      /^ {2}Organization {3}Member {4}Group {5}In group$/,
    )
    expect(organizations).toEqual(
      status.organizations.map((o) => [
        o.organizationName,
        mark(o.hasMembership),
        mark(o.groupId !== null),
        mark(o.inGroup),
      ]),
    )
    // Columns line up: the last column starts at the same place on every line.
    const lines = text.stdout.split("\n")
    const inGroup = lines.find((line) => line.endsWith("In group"))!.indexOf("In group")
    const starts = new Set(
      lines
        .filter((line) => / (yes|MISSING)$/.test(line))
        .map((line) => line.length - (line.split(" ").pop() ?? "").length),
    )
    expect([...starts]).toEqual([inGroup])

    const presets = tableRows(text.stdout, /^ {2}Organization +Template +Preset +Desired +Running$/)
    expect(status.presets.length).toBeGreaterThan(300)
    expect(status.presets.some((p) => p.running > 0)).toBe(true)
    expect(presets).toEqual(
      status.presets.map((p) => [
        p.organizationName,
        p.templateName,
        p.presetName,
        String(p.desired),
        String(p.running),
      ]),
    )
    // Numbers are right-aligned under their headers.
    const header = text.stdout.split("\n").find((line) => line.endsWith("Desired   Running"))!
    for (const line of text.stdout.split("\n").slice(text.stdout.split("\n").indexOf(header) + 1)) {
      if (line === "") break
      expect(line.length).toBe(header.length)
    }
  })
})
