import { relative } from "node:path"
import type { Finding, LintReport } from "./Finding.js"
import { allRules, type Severity } from "./Rules.js"

const sarifLevel: Record<Severity, "note" | "warning" | "error"> = {
  note: "note",
  warning: "warning",
  error: "error",
}

/** The report as SARIF 2.1.0 (GitHub code scanning loads it); paths relative to `root`. */
export const toSarif = (report: LintReport, root: string, version: string) => ({
  $schema: "https://json.schemastore.org/sarif-2.1.0.json",
  version: "2.1.0",
  runs: [
    {
      tool: {
        driver: {
          name: "coderops-lint",
          version,
          informationUri: "https://github.com/coderops/coderops",
          rules: allRules.map((rule) => ({
            id: rule.id,
            shortDescription: { text: rule.why },
            help: { text: `Do instead: ${rule.instead}` },
            defaultConfiguration: { level: sarifLevel[rule.severity] },
          })),
        },
      },
      results: [...report.findings, ...report.ignored].map((f) => ({
        ruleId: f.rule,
        level: sarifLevel[f.severity],
        message: { text: `${f.message}. ${f.why}. Do instead: ${f.instead}.` },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: relative(root, f.file).split("\\").join("/") },
              region: { startLine: f.line, startColumn: f.column },
            },
          },
        ],
        ...(f.ignored === undefined
          ? {}
          : { suppressions: [{ kind: "inSource", justification: f.ignored }] }),
        properties: {
          table: f.table ?? null,
          rows: f.size?.rows ?? null,
          bytes: f.size?.bytes ?? null,
          lockSeconds: f.size?.lockSeconds ?? null,
        },
      })),
    },
  ],
})

const escapeData = (text: string) =>
  text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A")
const escapeProperty = (text: string) =>
  escapeData(text).replaceAll(":", "%3A").replaceAll(",", "%2C")

/** One GitHub Actions workflow command per finding (`::error file=…,line=…::message`). */
export const toGithubAnnotations = (findings: ReadonlyArray<Finding>, root: string) =>
  findings.map((f) => {
    const command = f.severity === "note" ? "notice" : f.severity
    const file = escapeProperty(relative(root, f.file))
    const title = escapeProperty(`coderops-lint ${f.rule}`)
    return `::${command} file=${file},line=${f.line},col=${f.column},title=${title}::${escapeData(`${f.message}. Do instead: ${f.instead}`)}`
  })
