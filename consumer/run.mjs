#!/usr/bin/env node
/**
 * The consumer test: Baton as a stranger gets it. Builds and packs every package, checks what the
 * tarballs contain, installs them with npm into a fresh app outside the workspace (in the OS temp
 * folder) next to hono, @hono/node-server, react, react-dom, ky and better-sqlite3 from the
 * registry, typechecks that app strictly under `moduleResolution` `bundler` and `nodenext`, and
 * runs a smoke scenario against the installed packages in Node (`app/src/smoke.ts`), then renders
 * the React binding on React 19 and again on React 18 (`app/src/render.ts`, typechecked on both).
 *
 * Run it with `pnpm test:consumer` (part of `pnpm test`). Environment:
 * - `BATON_CONSUMER_SKIP_BUILD=1` packs the `dist/` folders as they are (quicker while iterating).
 * - `BATON_CONSUMER_KEEP=1` keeps the temp folder and prints where it is.
 * - `BATON_CONSUMER_HONO=<range>` installs that hono instead of the oldest minor `@baton/bff`
 *   supports (its peer range's floor: the workspace's own tests already run the newest).
 * - `BATON_CONSUMER_SQLITE=build` compiles better-sqlite3 from source in the app (1–2 minutes)
 *   instead of reusing the workspace's build of the same version (see `installSqliteAddon`).
 *
 * Plain JavaScript on purpose: it runs on any supported Node without a TypeScript loader.
 */
import { spawn } from 'node:child_process'
import {
  copyFile,
  cp,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const packages = ['protocol', 'client', 'react', 'bff']
const started = performance.now()

/** Runs a command; its output is shown only when it fails (or always, with `inherit`). */
function run(command, args, { cwd = root, env = {}, inherit = false, timeoutMs = 300_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout?.on('data', (chunk) => (output += chunk))
    child.stderr?.on('data', (chunk) => (output += chunk))
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve(output)
      else {
        const why = signal ? `was killed (${signal})` : `exited with ${code}`
        reject(new Error(`${command} ${args.join(' ')} ${why} in ${cwd}\n${output}`))
      }
    })
  })
}

async function step(name, fn) {
  const t0 = performance.now()
  const result = await fn()
  const seconds = (performance.now() - t0) / 1000
  console.log(`consumer: ${name} (${seconds.toFixed(1)} s)`)
  return result
}

const readJson = async (file) => JSON.parse(await readFile(file, 'utf8'))
const exists = (file) =>
  stat(file).then(
    () => true,
    () => false,
  )

function fail(message) {
  throw new Error(`consumer: ${message}`)
}

/** Every relative path an `exports` or `imports` map points at. */
function targets(map, found = []) {
  if (typeof map === 'string') found.push(map)
  else if (map !== null && typeof map === 'object')
    for (const v of Object.values(map)) targets(v, found)
  return found
}

/**
 * What a stranger's install needs from each tarball: README and LICENSE, no `workspace:` ranges,
 * internal dependencies as a caret range of the version being released, no development export
 * condition, every exported file present, and the Node and module format stated.
 */
async function checkTarball(unpacked, versions, license) {
  const manifest = await readJson(join(unpacked, 'package.json'))
  const name = manifest.name
  for (const file of ['README.md', 'LICENSE', 'package.json']) {
    if (!(await exists(join(unpacked, file)))) fail(`${name}: the tarball has no ${file}`)
  }
  if ((await readFile(join(unpacked, 'LICENSE'), 'utf8')) !== license) {
    fail(`${name}: LICENSE differs from the repository's LICENSE`)
  }
  if (manifest.license !== 'MIT') fail(`${name}: license is ${manifest.license}, not MIT`)
  if (manifest.type !== 'module') fail(`${name}: "type" is not "module"`)
  if (manifest.engines?.node !== '>=20.19.0')
    fail(`${name}: engines.node is ${manifest.engines?.node}`)
  const text = JSON.stringify(manifest)
  if (text.includes('workspace:')) fail(`${name}: a workspace: range was published`)
  if (text.includes('@baton/source')) fail(`${name}: the @baton/source condition was published`)
  if (await exists(join(unpacked, 'src'))) fail(`${name}: src/ was published`)
  for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
    if (dep in versions && range !== `^${versions[dep]}`) {
      fail(`${name}: depends on ${dep}@${range}, expected ^${versions[dep]}`)
    }
  }
  for (const target of [...targets(manifest.exports), ...targets(manifest.imports)]) {
    if (!(await exists(join(unpacked, target)))) {
      fail(`${name}: ${target} is exported but not shipped`)
    }
  }
  for (const bin of targets(manifest.bin)) {
    if (!(await exists(join(unpacked, bin)))) fail(`${name}: the bin ${bin} is not shipped`)
  }
  return manifest
}

/**
 * better-sqlite3 has no prebuilt binary reachable here, so `npm install` would compile it from
 * source (1–2 minutes). The workspace has already compiled the very same version for this Node,
 * so the app gets a copy of that addon; everything else about the install is npm's own.
 * `BATON_CONSUMER_SQLITE=build` compiles it in the app instead.
 */
async function installSqliteAddon(app) {
  const installed = await readJson(join(app, 'node_modules/better-sqlite3/package.json'))
  const addon = join(app, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')
  if (process.env.BATON_CONSUMER_SQLITE === 'build') {
    await run('npm', ['rebuild', 'better-sqlite3', '--foreground-scripts'], { cwd: app })
    return `compiled ${installed.version} from source`
  }
  const workspace = dirname(workspaceRequire.resolve('better-sqlite3/package.json'))
  const built = await readJson(join(workspace, 'package.json'))
  if (built.version !== installed.version) {
    fail(`better-sqlite3 ${installed.version} installed, the workspace built ${built.version}`)
  }
  await mkdir(dirname(addon), { recursive: true })
  await copyFile(join(workspace, 'build/Release/better_sqlite3.node'), addon)
  return `reused the workspace's build of ${built.version}`
}

const workspaceRequire = createRequire(join(root, 'packages/bff/package.json'))

/** The dependencies a stranger adds next to Baton, from the registry. */
async function appManifest(tarballs) {
  const bff = await readJson(join(root, 'packages/bff/package.json'))
  const floor = /^\^(\d+\.\d+)\.\d+$/.exec(bff.peerDependencies.hono)
  if (!floor) fail(`cannot read the floor of @baton/bff's hono range ${bff.peerDependencies.hono}`)
  const sqlite = await readJson(
    join(dirname(workspaceRequire.resolve('better-sqlite3/package.json')), 'package.json'),
  )
  const typescript = await readJson(join(root, 'node_modules/typescript/package.json'))
  return {
    name: 'baton-consumer-app',
    private: true,
    type: 'module',
    dependencies: {
      ...Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`])),
      hono: process.env.BATON_CONSUMER_HONO ?? `~${floor[1]}.0`,
      '@hono/node-server': '^2.1.0',
      'better-sqlite3': sqlite.version,
      ky: '^1.14.0',
      react: '^19.2.0',
      'react-dom': '^19.2.0',
    },
    devDependencies: {
      '@types/better-sqlite3': '^7.6.13',
      '@types/node': '^20.19.0',
      '@types/react': '^19.2.0',
      '@types/react-dom': '^19.2.0',
      typescript: typescript.version,
    },
  }
}

/** npm resolved every @baton package to its tarball, once, and the app has a single hono. */
async function checkTree(app) {
  const lock = await readJson(join(app, 'package-lock.json'))
  const paths = Object.keys(lock.packages)
  for (const name of packages.map((p) => `@baton/${p}`)) {
    const copies = paths.filter((p) => p.endsWith(`node_modules/${name}`))
    if (copies.length !== 1)
      fail(`${name} is installed ${copies.length} times: ${copies.join(', ')}`)
    const resolved = lock.packages[copies[0]].resolved ?? ''
    if (!resolved.startsWith('file:')) fail(`${name} came from ${resolved}, not from its tarball`)
  }
  const honos = paths.filter((p) => p.endsWith('node_modules/hono'))
  if (honos.length !== 1) fail(`hono is installed ${honos.length} times: ${honos.join(', ')}`)
  // The install ran with --ignore-scripts: make sure that skipped nothing but better-sqlite3's.
  const scripted = paths.filter((p) => lock.packages[p].hasInstallScript)
  if (scripted.join() !== 'node_modules/better-sqlite3') {
    fail(`packages with install scripts: ${scripted.join(', ')} (expected better-sqlite3 only)`)
  }
  return lock.packages['node_modules/hono'].version
}

let temp
try {
  temp = await mkdtemp(join(tmpdir(), 'baton-consumer-'))
  const tarballDir = join(temp, 'tarballs')
  const app = join(temp, 'app')

  if (process.env.BATON_CONSUMER_SKIP_BUILD !== '1') {
    await step('built the packages', () => run('pnpm', ['-r', '--filter', './packages/*', 'build']))
  }
  await step('packed the packages', () =>
    run('pnpm', ['-r', '--filter', './packages/*', 'pack', '--pack-destination', tarballDir]),
  )

  const tarballs = {}
  await step('checked the tarballs', async () => {
    const license = await readFile(join(root, 'LICENSE'), 'utf8')
    const versions = {}
    for (const p of packages) {
      const { name, version } = await readJson(join(root, 'packages', p, 'package.json'))
      versions[name] = version
    }
    for (const file of await readdir(tarballDir)) {
      const unpacked = join(temp, 'unpacked', file.replace(/\.tgz$/, ''))
      await mkdir(unpacked, { recursive: true })
      await run('tar', ['-xzf', join(tarballDir, file), '-C', unpacked, '--strip-components=1'])
      const manifest = await checkTarball(unpacked, versions, license)
      tarballs[manifest.name] = join(tarballDir, file)
    }
    const missing = Object.keys(versions).filter((name) => !(name in tarballs))
    if (missing.length > 0) fail(`no tarball for ${missing.join(', ')}`)
  })

  await step('wrote the app', async () => {
    await mkdir(app)
    await cp(join(root, 'consumer/app'), app, {
      recursive: true,
      filter: (source) => !/[/\\](node_modules|dist)$/.test(source),
    })
    await writeFile(join(app, 'package.json'), JSON.stringify(await appManifest(tarballs), null, 2))
  })

  let hono
  const sqlite = await step('installed it with npm', async () => {
    // No install scripts: better-sqlite3's is the only one in this tree (see installSqliteAddon).
    await run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'],
      { cwd: app },
    )
    hono = await checkTree(app)
    // Exits non-zero on a missing or unmet (peer) dependency anywhere in the tree.
    await run('npm', ['ls', '--all'], { cwd: app })
    return installSqliteAddon(app)
  })
  console.log(`consumer: hono ${hono}, better-sqlite3: ${sqlite}`)

  const tsc = join(app, 'node_modules/typescript/bin/tsc')
  await step('typechecked it (bundler and nodenext)', () =>
    Promise.all([
      run(process.execPath, [tsc, '-p', 'tsconfig.bundler.json'], { cwd: app }),
      run(process.execPath, [tsc, '-p', 'tsconfig.nodenext.json'], { cwd: app }),
    ]),
  )

  // The signing keys come from the package's own command, as the README says to make them.
  const keys = await step('generated signing keys with baton-keys', () =>
    run('npx', ['--no-install', 'baton-keys', 'generate'], { cwd: app }),
  )
  // A folder that does not exist yet: sqliteStore creates it.
  const database = join(temp, 'data', 'sessions.db')
  const smoke = await step('ran the smoke scenario', () =>
    run(process.execPath, ['dist/smoke.js', database], {
      cwd: app,
      env: { BATON_SIGNING_KEYS: keys.trim() },
      timeoutMs: 60_000,
    }),
  )
  process.stdout.write(smoke.trimEnd().replace(/^/gm, '  ') + '\n')
  const render = () => run(process.execPath, ['dist/render.js'], { cwd: app })
  process.stdout.write(
    (await step('rendered the React binding', render)).trimEnd().replace(/^/gm, '  ') + '\n',
  )

  // @baton/react's peer range promises React 18 too: the same app, moved to it (`npm ls` then checks
  // that peer range), typechecked and rendered again.
  const react18 = [
    'react@^18.3.1',
    'react-dom@^18.3.1',
    '@types/react@^18.3.0',
    '@types/react-dom@^18.3.0',
  ]
  const rendered18 = await step('typechecked and rendered it against React 18', async () => {
    await run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', ...react18],
      { cwd: app },
    )
    await run('npm', ['ls', '--all'], { cwd: app })
    await run(process.execPath, [tsc, '-p', 'tsconfig.bundler.json'], { cwd: app })
    return render()
  })
  process.stdout.write(rendered18.trimEnd().replace(/^/gm, '  ') + '\n')
  const total = (performance.now() - started) / 1000
  console.log(`consumer: passed in ${total.toFixed(1)} s`)
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
} finally {
  if (temp !== undefined) {
    if (process.env.BATON_CONSUMER_KEEP === '1')
      console.log(`consumer: kept ${relative(process.cwd(), temp) || temp}`)
    else await rm(temp, { recursive: true, force: true })
  }
}
