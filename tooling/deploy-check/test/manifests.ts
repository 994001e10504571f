import { readdirSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { Config } from "@oclif/core"
import ts from "typescript"
import { parseAllDocuments } from "yaml"

export const root = join(dirname(fileURLToPath(import.meta.url)), "../../..")
export const deployDir = join(root, "deploy")

export type Json = Record<string, unknown>

/** One object of a manifest file: `deploy/upgrade/upgrade-plan.yaml#0 Job/coderops-upgrade-plan`. */
export interface Manifest {
  readonly file: string
  readonly index: number
  readonly object: Json
}

export const nameOf = (m: Manifest): string => {
  const metadata = (m.object.metadata ?? {}) as Json
  return `${m.file}#${m.index} ${String(m.object.kind)}/${String(metadata.name)}`
}

/** Every YAML file under deploy/, relative to the repository root. */
export const yamlFiles = (): Array<string> =>
  readdirSync(deployDir, { recursive: true, encoding: "utf8" })
    .filter((entry) => entry.endsWith(".yaml") || entry.endsWith(".yml"))
    .map((entry) => relative(root, join(deployDir, entry)))
    .sort()

/** A file's documents, parsed by a real YAML parser; a syntax error or a warning throws. */
export const parseYaml = (file: string, text = readFileSync(join(root, file), "utf8")) =>
  parseAllDocuments(text, { prettyErrors: true }).flatMap((doc, index) => {
    const problems = [...doc.errors, ...doc.warnings]
    if (problems.length > 0) throw new Error(`${file}#${index}: ${problems.join("; ")}`)
    const object = doc.toJS() as unknown
    return object === null ? [] : [{ file, index, object: object as Json }]
  })

/** The Kubernetes objects: every document of deploy/ but the kustomizations. */
export const loadManifests = (): Array<Manifest> =>
  yamlFiles()
    .filter((file) => !file.endsWith("kustomization.yaml"))
    .flatMap((file) => parseYaml(file))

interface ModelClass {
  readonly apiVersion: string
  readonly kind: string
  new (data: Json): { validate(): void }
}

/** `apps/v1` → `kubernetes-models/apps/v1`, `v1` → `kubernetes-models/v1`. */
const modelModule = (apiVersion: string) => `kubernetes-models/${apiVersion}`

/**
 * Validates an object against the Kubernetes API's OpenAPI schema of its kind (types,
 * required fields, enums, formats such as quantities), through the kubernetes-models class
 * of its apiVersion and kind. Returns the problems, empty when it is valid.
 */
export const schemaProblems = async (m: Manifest): Promise<Array<string>> => {
  const { apiVersion, kind } = m.object
  if (typeof apiVersion !== "string" || typeof kind !== "string")
    return ["apiVersion and kind must be strings"]
  const module = (await import(modelModule(apiVersion)).catch(() => null)) as Record<
    string,
    ModelClass
  > | null
  const model = module?.[kind]
  if (model === undefined || model.kind !== kind || model.apiVersion !== apiVersion)
    return [`no kind ${kind} in apiVersion ${apiVersion}`]
  try {
    new model(m.object).validate()
    return []
  } catch (error) {
    return [error instanceof Error ? error.message : String(error)]
  }
}

/**
 * The schema validators accept fields that do not exist (the API's schemas do not forbid
 * them), while `kubectl apply` refuses them (strict field validation). TypeScript does:
 * each object becomes an object literal typed with its kind's interface from
 * kubernetes-models, and an excess property check names the unknown field. Returns one
 * line per TypeScript error, naming the object.
 */
export const unknownFieldProblems = (manifests: ReadonlyArray<Manifest>): Array<string> => {
  const lines: Array<string> = []
  const owners: Array<Manifest> = []
  manifests.forEach((m, i) => {
    const { apiVersion, kind } = m.object as { apiVersion: string; kind: string }
    lines.push(`import type { I${kind} as T${i} } from "${modelModule(apiVersion)}/${kind}"`)
  })
  manifests.forEach((m, i) => {
    const text = `export const m${i}: T${i} = ${JSON.stringify(m.object, null, 2)}`
    for (const _ of text.split("\n")) owners.push(m)
    lines.push(text)
  })
  const imports = manifests.length
  const fileName = join(root, "tooling/deploy-check/test/manifests.generated.ts")
  const source = lines.join("\n")
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2023,
    types: [],
  }
  const host = ts.createCompilerHost(options)
  const getSourceFile = host.getSourceFile
  host.getSourceFile = (name, version, ...rest) =>
    name === fileName
      ? ts.createSourceFile(name, source, version)
      : getSourceFile.call(host, name, version, ...rest)
  const fileExists = host.fileExists
  host.fileExists = (name) => name === fileName || fileExists.call(host, name)
  const program = ts.createProgram([fileName], options, host)
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, " ")
    if (d.file?.fileName !== fileName || d.start === undefined) return message
    const { line } = d.file.getLineAndCharacterOfPosition(d.start)
    const owner = owners[line - imports]
    return owner === undefined ? message : `${nameOf(owner)}: ${message}`
  })
}

/** The pod template of a workload: a Deployment's, a Job's, a CronJob's Job's. */
export const podTemplateOf = (object: Json): Json | undefined => {
  const spec = object.spec as Json | undefined
  if (object.kind === "CronJob") return podTemplateOf((spec?.jobTemplate ?? {}) as Json)
  return spec?.template as Json | undefined
}

export interface Container extends Json {
  readonly name: string
  readonly image: string
  readonly command?: Array<string>
  readonly args?: Array<string>
}

export const containersOf = (pod: Json): Array<Container> => {
  const spec = pod.spec as { containers?: Array<Container>; initContainers?: Array<Container> }
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])]
}

/** The image's entry point, from deploy/Dockerfile's exec-form ENTRYPOINT. */
export const dockerEntrypoint = (): Array<string> => {
  const dockerfile = readFileSync(join(deployDir, "Dockerfile"), "utf8")
  const line = dockerfile.split("\n").find((l) => l.startsWith("ENTRYPOINT "))
  if (line === undefined) throw new Error("deploy/Dockerfile has no ENTRYPOINT")
  return JSON.parse(line.slice("ENTRYPOINT ".length)) as Array<string>
}

/** Where deploy/Dockerfile copies release/ (`COPY . /opt/coderops/`). */
export const dockerInstallDir = (): string => {
  const dockerfile = readFileSync(join(deployDir, "Dockerfile"), "utf8")
  const copy = dockerfile.split("\n").find((l) => l.startsWith("COPY . "))
  if (copy === undefined) throw new Error("deploy/Dockerfile does not COPY release/ (`COPY . DIR`)")
  return copy.slice("COPY . ".length).trim()
}

const cliPackageJson = createRequire(import.meta.url).resolve("coderops/package.json")
export const cliRoot = dirname(cliPackageJson)
export const cliBin = (): string =>
  (JSON.parse(readFileSync(cliPackageJson, "utf8")) as { bin: { coderops: string } }).bin.coderops

let config: Promise<Config> | undefined

/**
 * Parses a coderops command line (without the entry point) as the CLI does: the command is
 * the longest run of leading words that names one, and its flags and arguments go through
 * oclif's parser with the command's own flag definitions (names, options, exclusive and
 * dependsOn relations). Returns the command id, or throws what the CLI would say.
 */
export const parseCommandLine = async (argv: ReadonlyArray<string>) => {
  config ??= Config.load(cliRoot)
  const loaded = await config
  for (let n = argv.length; n > 0; n--) {
    const id = argv.slice(0, n).join(":")
    const found = loaded.findCommand(id)
    if (found === undefined) continue
    const command = await found.load()
    const rest = argv.slice(n)
    // `parse` is protected: the command's own init calls it with these options.
    const construct = command as unknown as new (
      argv: Array<string>,
      config: Config,
    ) => { parse(options: unknown, argv: Array<string>): Promise<{ flags: Json }> }
    const instance = new construct([...rest], loaded)
    // oclif's error carries the whole parser state; its message is what the CLI would say.
    const { flags } = await instance
      .parse(
        {
          flags: command.flags,
          baseFlags: command.baseFlags,
          enableJsonFlag: command.enableJsonFlag,
          args: command.args,
          strict: command.strict,
        },
        [...rest],
      )
      .catch((error: unknown) => {
        throw new Error(`coderops ${argv.join(" ")}: ${(error as Error).message}`)
      })
    return { id, flags }
  }
  throw new Error(`no coderops command in: ${argv.join(" ")}`)
}
