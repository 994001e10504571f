import { readdir, readFile } from "node:fs/promises"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

export const root = join(dirname(fileURLToPath(import.meta.url)), "../../..")

/**
 * The layers of ARCHITECTURE.md, lowest first. A package may depend on packages of a
 * lower layer; libraries may also depend on other libraries. Tooling is for tests and
 * benchmarks only: never a dependency of a product package.
 */
export const layers = ["pg-server", "db-core", "library", "cli-kit", "plugin", "app"] as const
export type Layer = (typeof layers)[number] | "tooling"

export interface WorkspacePackage {
  readonly name: string
  /** Its folder, relative to the repository root, e.g. `packages/db-core`. */
  readonly dir: string
  readonly layer: Layer
  readonly dependencies: ReadonlyArray<string>
}

export const layerOf = (dir: string): Layer => {
  const [group, name = ""] = dir.split("/")
  if (group === "apps") return "app"
  if (group === "tooling") return "tooling"
  if (name === "pg-server" || name === "db-core" || name === "cli-kit") return name
  return name.startsWith("plugin-") ? "plugin" : "library"
}

export const workspacePackages = async (): Promise<Array<WorkspacePackage>> => {
  const found: Array<WorkspacePackage> = []
  for (const group of ["apps", "packages", "tooling"]) {
    for (const name of await readdir(join(root, group))) {
      const dir = `${group}/${name}`
      const manifest = await readFile(join(root, dir, "package.json"), "utf8").catch(() => null)
      if (manifest === null) continue
      const parsed = JSON.parse(manifest) as {
        name: string
        dependencies?: Record<string, string>
      }
      found.push({
        name: parsed.name,
        dir,
        layer: layerOf(dir),
        dependencies: Object.keys(parsed.dependencies ?? {}),
      })
    }
  }
  return found
}

/** The TypeScript files of a package's `src`, relative to the repository root. */
export const sourceFiles = async (dir: string): Promise<Array<string>> => {
  const entries = await readdir(join(root, dir, "src"), { recursive: true }).catch(() => [])
  return entries
    .filter((entry) => entry.endsWith(".ts") && !entry.endsWith(".d.ts"))
    .map((entry) => join(dir, "src", entry))
}

export interface SourceFacts {
  /** Every module specifier: static and dynamic imports, re-exports, `import("x")` types. */
  readonly imports: Array<string>
  /** The text of every string literal and template part (comments are not strings). */
  readonly strings: Array<string>
  /** Identifiers and property names, e.g. `exitCode` in `{ exitCode: 3 }`. */
  readonly names: Array<string>
}

/** What a source text imports, says in strings, and names, read from its syntax tree. */
export const factsOf = (fileName: string, text: string): SourceFacts => {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true)
  const facts: SourceFacts = { imports: [], strings: [], names: [] }
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier !== undefined &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      facts.imports.push(node.moduleSpecifier.text)
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      facts.imports.push(node.arguments[0].text)
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      facts.imports.push(node.argument.literal.text)
    }
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      facts.strings.push(node.text)
    }
    if (ts.isIdentifier(node)) facts.names.push(node.text)
    if (
      ts.isPropertyAccessExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === "process"
    ) {
      facts.names.push(`process.${node.name.text}`)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return facts
}

export const readFacts = async (file: string): Promise<SourceFacts> =>
  factsOf(file, await readFile(join(root, file), "utf8"))

/** The package a module specifier names (`@scope/name/sub` → `@scope/name`), or undefined for a relative or built-in one. */
export const packageOf = (specifier: string): string | undefined => {
  if (specifier.startsWith(".") || specifier.startsWith("node:")) return undefined
  const parts = specifier.split("/")
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]
}

export const relativeToRoot = (path: string) => relative(root, path)
