// Helpers of .ci/tarball-check (plain Node, no dependency but the scratch project's typescript):
//   packages                      the publishable packages (packages/*/package.json not "private")
//   install-line                  the user's install line of README.md, less our own packages
//   quickstart <out.ts>           the TypeScript block of README.md's "## Quick start", verbatim
//   transpile <in.ts> <out> <esm|cjs>   type-stripped JavaScript, ES module or CommonJS (require)
//   verify <baseUrl> <stdout>     the program queried (printed seeded Account names) and created a record
import * as Fs from "node:fs"
import * as Path from "node:path"
import { createRequire } from "node:module"

const repo = Path.resolve(import.meta.dirname ?? Path.dirname(new URL(import.meta.url).pathname), "..")
const [command, ...args] = process.argv.slice(2)
const die = (message) => {
  process.stderr.write(`tarball-check: ${message}\n`)
  process.exit(1)
}
const readme = () => Fs.readFileSync(Path.join(repo, "README.md"), "utf8")

switch (command) {
  case "packages": {
    const root = Path.join(repo, "packages")
    for (const name of Fs.readdirSync(root).sort()) {
      const file = Path.join(root, name, "package.json")
      if (!Fs.existsSync(file)) continue
      const pkg = JSON.parse(Fs.readFileSync(file, "utf8"))
      if (pkg.private !== true) console.log(Path.join(root, name))
    }
    break
  }
  case "install-line": {
    const line = readme().split("\n").find((l) => /^npm (install|i) @effect-salesforce\//.test(l))
    if (line === undefined) die("README.md has no `npm install @effect-salesforce/...` line")
    console.log(line.split(/\s+/).slice(2).filter((word) => !word.startsWith("@effect-salesforce/")).join(" "))
    break
  }
  case "quickstart": {
    const match = /^## Quick start\n[\s\S]*?^```ts\n([\s\S]*?)^```$/m.exec(readme())
    if (match === null) die("README.md has no ```ts block under \"## Quick start\"")
    Fs.writeFileSync(args[0], match[1])
    break
  }
  case "transpile": {
    const [input, output, kind] = args
    const ts = createRequire(Path.resolve(output))("typescript")
    const { outputText, diagnostics } = ts.transpileModule(Fs.readFileSync(input, "utf8"), {
      fileName: Path.basename(input),
      reportDiagnostics: true,
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: kind === "cjs" ? ts.ModuleKind.CommonJS : ts.ModuleKind.ESNext,
        verbatimModuleSyntax: false
      }
    })
    if (diagnostics.length > 0) die(ts.formatDiagnostics(diagnostics, ts.createCompilerHost({})))
    Fs.writeFileSync(output, outputText)
    break
  }
  case "verify": {
    const [baseUrl, stdoutFile] = args
    const lines = Fs.readFileSync(stdoutFile, "utf8").split("\n").map((l) => l.trim()).filter((l) => l !== "")
    const created = lines.map((l) => /^created ([A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?)$/.exec(l)?.[1]).find((id) => id !== undefined)
    if (created === undefined) die("no `created <id>` line in the program's output")
    const response = await fetch(`${baseUrl}/__emulator/records/Account`)
    const records = await response.json()
    if (!records.some((r) => r.Id === created)) die(`the emulator has no Account ${created}`)
    const names = new Set(records.map((r) => r.Name))
    const queried = lines.filter((l) => names.has(l))
    if (queried.length === 0) die("the program printed no Account name from its query")
    console.log(`queried ${queried.length} account(s), created ${created}`)
    break
  }
  default:
    die(`unknown command ${command}`)
}
