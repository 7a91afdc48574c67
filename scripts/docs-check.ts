/**
 * `pnpm docs:check`: every TypeScript example in the packages' JSDoc and every TypeScript block of the
 * READMEs and docs/*.md compiles against the packages, every public export carries `@since` and
 * `@category`, and the blocks that are complete programs run against the simulator.
 * The conventions (`ts partial`, `ts no-run`, `ts deno`) and the exclusion list: docs/contributing.md.
 *
 * Flags: `--no-run` (compile only), `--all` (ignore EXCLUDE, to see what the excluded files still need).
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { NodeSimulator } from "@tensoras/ingestion-testkit"
import ts from "typescript"

/**
 * Files the checker skips (globs relative to the repository root: `*` within a folder, `**` across
 * folders). Keep it short: each entry is work in progress with an owner, and leaves when that lands.
 */
const EXCLUDE: ReadonlyArray<string> = []

/** One limit for a block's run, generous for a loaded CI machine; override with DOCS_CHECK_TIMEOUT_MS. */
const RUN_TIMEOUT_MS = Number(process.env.DOCS_CHECK_TIMEOUT_MS ?? 120_000)

const root = join(dirname(new URL(import.meta.url).pathname), "..")
const args = new Set(process.argv.slice(2))
const runBlocks = !args.has("--no-run")
const useExclude = !args.has("--all")
const SCRATCH = ".docs-check"

const globToRegExp = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .split("**")
      .map((part) => part.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*"))
      .join(".*")}$`
  )
const excluded = EXCLUDE.map(globToRegExp)
const isExcluded = (path: string): boolean => useExclude && excluded.some((re) => re.test(path))

const walk = (dir: string): Array<string> =>
  readdirSync(join(root, dir)).flatMap((name) => {
    const path = `${dir}/${name}`
    if (name === "node_modules" || name === "dist" || name === SCRATCH) return []
    return statSync(join(root, path)).isDirectory() ? walk(path) : [path]
  })

// --- Collecting the snippets ---------------------------------------------------------------------

interface Snippet {
  /** Where it is written, relative to the root, e.g. `docs/errors.md`. */
  readonly source: string
  /** The 1-based line of the snippet's first code line in `source`. */
  readonly line: number
  readonly code: string
  readonly partial: boolean
  readonly noRun: boolean
  readonly deno: boolean
  readonly kind: "jsdoc" | "markdown"
  /** The folder whose node_modules the snippet resolves from (its package, or the root). */
  readonly home: string
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)(.*)$/

/** The fenced TypeScript blocks of some markdown lines; `firstLine` is the 1-based line of lines[0]. */
const fencedBlocks = (
  lines: ReadonlyArray<string>,
  firstLine: number
): Array<{ line: number; code: string; words: ReadonlyArray<string> }> => {
  const blocks: Array<{ line: number; code: string; words: ReadonlyArray<string> }> = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? "")
    if (open === null) continue
    const [, indent = "", marker = "", lang = "", rest = ""] = open
    let end = i + 1
    while (end < lines.length && !(lines[end] ?? "").trim().startsWith(marker)) end++
    if (lang === "ts" || lang === "typescript") {
      const code = lines
        .slice(i + 1, end)
        .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line.trimStart()))
        .join("\n")
      blocks.push({ line: firstLine + i + 1, code, words: rest.trim().split(/\s+/).filter(Boolean) })
    }
    i = end
  }
  return blocks
}

const KNOWN_WORDS = new Set(["partial", "no-run", "deno"])

const snippet = (
  source: string,
  kind: Snippet["kind"],
  home: string,
  block: { line: number; code: string; words: ReadonlyArray<string> }
): Snippet => {
  const unknown = block.words.filter((word) => !KNOWN_WORDS.has(word))
  if (unknown.length > 0) fail(`${source}:${block.line - 1}: unknown block marker(s) ${unknown.join(", ")}`)
  return {
    source,
    line: block.line,
    code: block.code,
    partial: block.words.includes("partial"),
    noRun: block.words.includes("no-run") || kind === "jsdoc",
    deno: block.words.includes("deno"),
    kind,
    home
  }
}

const problems: Array<string> = []
const fail = (message: string): void => {
  problems.push(message)
}

const jsdocSnippets = (file: string, home: string): Array<Snippet> => {
  const text = readFileSync(join(root, file), "utf8")
  const out: Array<Snippet> = []
  for (const match of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const startLine = text.slice(0, match.index).split("\n").length
    const lines = match[0]
      .split("\n")
      .map((line) => line.replace(/^\s*\/?\*+\/?\s?/, "").replace(/\*\/$/, ""))
    for (const block of fencedBlocks(lines, startLine)) out.push(snippet(file, "jsdoc", home, block))
  }
  return out
}

const markdownSnippets = (file: string): Array<Snippet> =>
  fencedBlocks(readFileSync(join(root, file), "utf8").split("\n"), 1).map((block) =>
    snippet(file, "markdown", block.words.includes("deno") ? "packages/deno" : ".", block)
  )

const packages = readdirSync(join(root, "packages")).map((name) => `packages/${name}`)
const sourceFiles = packages
  .flatMap((pkg) => (existsSync(join(root, pkg, "src")) ? walk(`${pkg}/src`) : []))
  .filter((file) => file.endsWith(".ts") && !isExcluded(file))
const markdownFiles = [
  "README.md",
  ...packages.map((pkg) => `${pkg}/README.md`).filter((file) => existsSync(join(root, file))),
  ...readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`)
].filter((file) => !isExcluded(file))

const denoPackage = "packages/deno"
const snippets: Array<Snippet> = [
  // The Deno package's own JSDoc is checked by `deno check --doc` below.
  ...sourceFiles
    .filter((file) => !file.startsWith(`${denoPackage}/`))
    .flatMap((file) => jsdocSnippets(file, file.split("/").slice(0, 2).join("/"))),
  ...markdownFiles.flatMap(markdownSnippets)
]

// --- @since and @category on every public export --------------------------------------------------

/**
 * Effect's convention: every exported declaration of a public module has `@since` and `@category`;
 * a re-export (`export * as X from`, in an index) has `@since`.
 */
const checkTags = (file: string): void => {
  const text = readFileSync(join(root, file), "utf8")
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const seen = new Set<string>()
  for (const statement of sf.statements) {
    const isReexport = ts.isExportDeclaration(statement)
    const exported =
      isReexport ||
      (ts.canHaveModifiers(statement) &&
        (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword))
    if (!exported) continue
    const name = isReexport
      ? statement.getText(sf).replace(/\s+/g, " ")
      : ts.isVariableStatement(statement)
        ? statement.declarationList.declarations.map((d) => d.name.getText(sf)).join(", ")
        : `${ts.SyntaxKind[statement.kind]} ${(statement as { name?: ts.Node }).name?.getText(sf) ?? ""}`
    // Overloads: the first signature carries the documentation.
    if (ts.isFunctionDeclaration(statement)) {
      if (seen.has(name)) continue
      seen.add(name)
    }
    const comments = ts.getLeadingCommentRanges(text, statement.pos) ?? []
    const doc = comments
      .map((range) => text.slice(range.pos, range.end))
      .filter((comment) => comment.startsWith("/**"))
      .at(-1)
    const line = sf.getLineAndCharacterOfPosition(statement.getStart(sf)).line + 1
    const where = `${file}:${line} (${name.length > 60 ? `${name.slice(0, 57)}...` : name})`
    if (doc === undefined) {
      fail(`${where}: an export without JSDoc`)
      continue
    }
    if (/@internal\b/.test(doc)) continue
    if (!/@since\s+\d/.test(doc)) fail(`${where}: no @since`)
    if (!isReexport && !/@category\s+\S/.test(doc)) fail(`${where}: no @category`)
  }
}

for (const file of sourceFiles) {
  const isPublic = !file.includes("/internal/") && !file.endsWith("/bin.ts")
  if (isPublic) checkTags(file)
}

// --- Compiling with TypeScript ----------------------------------------------------------------------

const scratchFiles = new Map<string, Snippet>()
const scratchDirs = new Set<string>()
const writeScratch = (s: Snippet, index: number): string => {
  const dir = join(root, s.home, SCRATCH)
  if (!scratchDirs.has(dir)) {
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    scratchDirs.add(dir)
  }
  const name = `${s.source.replace(/[^\w]+/g, "_")}_L${s.line}_${index}.ts`
  const path = join(dir, name)
  // `export {}` keeps each block a module of its own; appended, so line numbers stay the same.
  writeFileSync(path, `${s.code}\nexport {}\n`)
  scratchFiles.set(path, s)
  return path
}

const checked = snippets.filter((s) => !s.partial)
const nodeFiles = checked.flatMap((s, i) => (s.deno ? [] : [writeScratch(s, i)]))
const denoFiles = checked.flatMap((s, i) => (s.deno ? [writeScratch(s, i)] : []))

const where = (path: string, line0: number, character0: number): string => {
  const s = scratchFiles.get(path)
  return s === undefined
    ? `${relative(root, path)}:${line0 + 1}:${character0 + 1}`
    : `${s.source}:${s.line + line0}:${character0 + 1}`
}

// Unused declarations are normal in an example (`const job = ...` shows a type); an unused import is not.
const UNUSED = new Set([6133, 6192, 6196, 6198, 6205])
const insideImport = (sf: ts.SourceFile, position: number): boolean =>
  sf.statements.some((st) => ts.isImportDeclaration(st) && st.getStart(sf) <= position && position < st.end)

/** An Effect is a description: a value of type `Effect` is marked by Effect 4's `~effect/Effect` key. */
const isEffect = (type: ts.Type): boolean =>
  type.getProperty("~effect/Effect") !== undefined ||
  (type.isUnion() && type.types.some((member) => member.getProperty("~effect/Effect") !== undefined))

/**
 * A docs block that builds a program and never runs it shows nothing: the reader copies it and nothing
 * happens. Fails a top-level Effect never referenced again, and an Effect expression statement (a pipe
 * whose result is dropped).
 */
const checkPrograms = (checker: ts.TypeChecker, sf: ts.SourceFile, path: string): void => {
  const declared = new Map<string, ts.Identifier>()
  for (const statement of sf.statements) {
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name) && isEffect(checker.getTypeAtLocation(declaration.name)))
          declared.set(declaration.name.text, declaration.name)
      }
    } else if (ts.isExpressionStatement(statement)) {
      const expression = ts.isAwaitExpression(statement.expression) ? undefined : statement.expression
      if (expression !== undefined && isEffect(checker.getTypeAtLocation(expression))) {
        const { line, character } = sf.getLineAndCharacterOfPosition(statement.getStart(sf))
        fail(`${where(path, line, character)}: an Effect built and dropped: run it (e.g. Effect.runPromise)`)
      }
    }
  }
  if (declared.size === 0) return
  const used = new Set<string>()
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && declared.has(node.text) && declared.get(node.text) !== node)
      used.add(node.text)
    ts.forEachChild(node, visit)
  }
  visit(sf)
  for (const [name, identifier] of declared) {
    if (used.has(name)) continue
    const { line, character } = sf.getLineAndCharacterOfPosition(identifier.getStart(sf))
    fail(`${where(path, line, character)}: \`${name}\` is an Effect that the block never runs`)
  }
}

const typecheck = (): void => {
  const base = ts.readConfigFile(join(root, "tsconfig.base.json"), ts.sys.readFile)
  const parsed = ts.parseJsonConfigFileContent(base.config, ts.sys, root)
  const options: ts.CompilerOptions = {
    ...parsed.options,
    noEmit: true,
    noUnusedLocals: true,
    noUnusedParameters: false,
    types: ["node"]
  }
  const program = ts.createProgram(nodeFiles, options)
  const checker = program.getTypeChecker()
  for (const path of nodeFiles) {
    const sf = program.getSourceFile(path)
    if (sf === undefined) continue
    if (scratchFiles.get(path)?.kind === "markdown") checkPrograms(checker, sf, path)
    const diagnostics = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]
    for (const d of diagnostics) {
      if (UNUSED.has(d.code) && (d.start === undefined || !insideImport(sf, d.start))) continue
      const { line, character } = sf.getLineAndCharacterOfPosition(d.start ?? 0)
      fail(
        `${where(path, line, character)}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`
      )
    }
  }
}

const deno = (denoArgs: ReadonlyArray<string>): { ok: boolean; output: string } => {
  const result = spawnSync("pnpm", ["exec", "deno", ...denoArgs], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" }
  })
  const output = `${result.stdout}${result.stderr}`
    .replace(/\nStack backtrace:[\s\S]*$/, "")
    .split("\n")
    .filter((line) => !line.startsWith("Check "))
    .join("\n")
  return { ok: result.status === 0, output }
}

/** Deno's own checker for the Deno package's JSDoc examples and the `ts deno` blocks. */
const denoCheck = (): void => {
  const config = ["--config", `${denoPackage}/deno.json`]
  const denoSources = sourceFiles.filter((file) => file.startsWith(`${denoPackage}/`))
  if (denoSources.length > 0) {
    const { ok, output } = deno(["check", "--doc", ...config, ...denoSources])
    if (!ok) fail(`deno check --doc ${denoPackage}/src:\n${output.trim()}`)
  }
  if (denoFiles.length > 0) {
    const { ok, output } = deno(["check", ...config, ...denoFiles])
    if (!ok)
      fail(
        `deno check (ts deno blocks):\n${output
          .replace(/file:\/\/(\/[^\s:]+):(\d+):(\d+)/g, (_, path: string, l: string, c: string) =>
            where(path, Number(l) - 1, Number(c) - 1)
          )
          .trim()}`
      )
  }
}

// --- Running the complete programs against the simulator ------------------------------------------------

const runOne = (s: Snippet, path: string, env: NodeJS.ProcessEnv): Promise<string | undefined> =>
  new Promise((resolve) => {
    const [command, commandArgs] = s.deno
      ? ["pnpm", ["exec", "deno", "run", "-A", "--config", `${denoPackage}/deno.json`, path]]
      : [process.execPath, ["--conditions=@tensoras/source", "--import", "tsx", path]]
    const child = spawn(command as string, commandArgs as Array<string>, { cwd: root, env, detached: true })
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL")
      output += `\n(no exit after ${RUN_TIMEOUT_MS} ms: killed)`
    }, RUN_TIMEOUT_MS)
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      resolve(code === 0 ? undefined : `exit ${code ?? signal}:\n${output.trim()}`)
    })
  })

const runAll = async (): Promise<number> => {
  const runnable = [...scratchFiles].filter(([, s]) => !s.noRun)
  if (runnable.length === 0) return 0
  // The docs' scenario, its clock moved to where every job has ended: a wait ends at its first poll.
  const sim = await NodeSimulator.start({ scenario: "docs", clock: "manual" })
  try {
    for (const kbId of sim.control.knowledgeBases())
      for (const job of sim.control.jobs(kbId)) sim.control.advanceToTerminal(kbId, job.id)
    const env = {
      ...process.env,
      TENSORAS_API_KEY: sim.apiKey,
      TENSORAS_BASE_URL: sim.baseUrl,
      NO_COLOR: "1"
    }
    for (const [path, s] of runnable) {
      const failure = await runOne(s, path, env)
      if (failure !== undefined) fail(`${s.source}:${s.line - 1}: the block did not run: ${failure}`)
    }
  } finally {
    await sim.close()
  }
  return runnable.length
}

// --- Main ---------------------------------------------------------------------------------------------

const main = async (): Promise<void> => {
  typecheck()
  denoCheck()
  const ran = problems.length === 0 && runBlocks ? await runAll() : 0
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true })
  const jsdoc = snippets.filter((s) => s.kind === "jsdoc").length
  const markdown = snippets.length - jsdoc
  const partial = snippets.filter((s) => s.partial).length
  const summary =
    `${jsdoc} JSDoc examples and ${markdown} markdown blocks (${partial} partial) in ` +
    `${sourceFiles.length} source and ${markdownFiles.length} markdown files; ${ran} blocks run` +
    (useExclude && EXCLUDE.length > 0 ? `; ${EXCLUDE.length} paths excluded (scripts/docs-check.ts)` : "")
  if (problems.length > 0) {
    process.stderr.write(`${problems.join("\n")}\n\ndocs:check: ${problems.length} problem(s). ${summary}\n`)
    process.exitCode = 1
  } else {
    process.stdout.write(`docs:check: ok. ${summary}\n`)
  }
}

await main()
