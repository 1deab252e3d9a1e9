/**
 * TypeDoc for the public entry points of the four packages, read from their `exports` maps (the
 * `@baton/source` condition names the source of each subpath), so a new subpath is documented
 * without touching this file. Every warning fails the run (`pnpm docs:api`, part of `pnpm test`): a
 * broken `{@link}`, or a public type that names something the package does not export.
 * The HTML goes to docs/api/ (git-ignored).
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Converter, ReflectionKind, makeRecursiveVisitor } from 'typedoc'

const packages = ['protocol', 'client', 'react', 'bff']

/** Source file (absolute) → the import specifier a user writes, e.g. `@baton/bff/stores/redis`. */
const specifiers = new Map()
for (const dir of packages) {
  const base = new URL(`./packages/${dir}/`, import.meta.url)
  const manifest = JSON.parse(readFileSync(new URL('package.json', base), 'utf8'))
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    const source = typeof target === 'object' ? target['@baton/source'] : undefined
    if (typeof source !== 'string') continue
    const specifier = subpath === '.' ? manifest.name : `${manifest.name}${subpath.slice(1)}`
    specifiers.set(fileURLToPath(new URL(source, base)), specifier)
  }
}

/**
 * Loaded as a TypeDoc plugin (this file is both the options and the plugin), it does two things
 * once conversion is over:
 * - names each entry module after its import specifier instead of its path (`bff/src`);
 * - makes the `notExported` check cover all four packages. TypeDoc only reports a missing export
 *   for types of the project's own package, and a project of several packages is named after the
 *   root `package.json` ("baton"), so a type of `@baton/client` that no entry point exports
 *   would pass silently. The four are documented as one project, so they count as one package.
 * @param {import('typedoc').Application} app
 */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    const { project } = context
    for (const reflection of project.getReflectionsByKind(ReflectionKind.Module)) {
      const file = context.getSymbolFromReflection(reflection)?.declarations?.[0]?.getSourceFile()
      const specifier = file && specifiers.get(file.fileName)
      if (specifier) reflection.name = specifier
    }
    const ours = makeRecursiveVisitor({
      reference(type) {
        if (type.package?.startsWith('@baton/')) type.package = project.packageName
      },
    })
    for (const reflection of Object.values(project.reflections)) {
      for (const type of [
        reflection.type,
        reflection.default,
        ...(reflection.extendedTypes ?? []),
        ...(reflection.implementedTypes ?? []),
      ]) {
        type?.visit(ours)
      }
    }
  })
}

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  name: 'Baton API reference',
  tsconfig: 'tsconfig.docs.json',
  entryPoints: [...specifiers.keys()],
  plugin: [fileURLToPath(import.meta.url)],
  out: 'docs/api',
  // The root README links folders of the repository, which a generated site cannot follow.
  readme: 'none',
  // No public repository URL yet, so no "Defined in" links to one.
  disableSources: true,
  sort: ['kind', 'instance-first', 'alphabetical-ignoring-documents'],
  treatWarningsAsErrors: true,
  // Types a public type names but no entry point exports, known when this check was added: each
  // entry fails the run once it is no longer needed (TypeDoc reports unused entries), so fixing
  // the export also means deleting the line here. Do not add to this list; export the type.
  intentionallyNotExported: [
    '@baton/client/src/auth-codes.ts:RejectedCode',
    '@baton/client/src/register.ts:UserOf',
  ],
  validation: { notExported: true, invalidLink: true, rewrittenLink: true, notDocumented: false },
}
