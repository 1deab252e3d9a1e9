/**
 * @module
 * Real BFF processes for the multi-instance and restart tests: `fixtures/instance.ts` run by Node
 * with the `tsx` loader, and a small HTTP client that handles the refresh cookie by hand, as a browser would.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The origin `fixtures/instance.ts` allows, and the password of every user it knows. */
export const APP_ORIGIN = 'http://app.test'
export const PASSWORD = 'pw'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const FIXTURE = fileURLToPath(new URL('./fixtures/instance.ts', import.meta.url))

/** A running BFF process. */
export interface Instance {
  readonly name: string
  readonly url: string
  /** Stops the process: SIGTERM lets it close its store, SIGKILL is a crash. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>
}

/** Starts `fixtures/instance.ts` with `env` and waits until it prints its port. */
export async function startInstance(name: string, env: Record<string, string>): Promise<Instance> {
  // `node --import tsx` rather than the tsx CLI: the CLI runs the script in a second process that
  // a SIGKILL of the first would leave behind.
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@baton/source', FIXTURE],
    {
      cwd: packageDir,
      env: { ...process.env, ...env, NODE_ENV: 'test' },
      // The fixture exits when its stdin closes, so it never outlives a test worker that died.
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  )
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`instance ${name} did not start within 20 s:\n${stderr}`))
    }, 20_000)
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      const line = /^\{"port":(\d+)\}$/m.exec(stdout)
      if (line) {
        clearTimeout(timer)
        resolve(Number(line[1]))
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`instance ${name} exited with ${String(code)}:\n${stderr}`))
    })
  })

  return {
    name,
    url: `http://127.0.0.1:${port}`,
    stop: (signal = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill(signal)
      }),
  }
}

/** What login and refresh answer. */
export interface Tokens {
  accessToken: string
  sessionId: string
  /** The refresh cookie's value. */
  cookie: string
}

/** A response reduced to what the tests look at. */
export interface Answer {
  status: number
  code: string | undefined
  tokens: Tokens | undefined
}

async function answer(res: Response): Promise<Answer> {
  const body = (await res.json().catch(() => undefined)) as
    { accessToken?: string; sessionId?: string; error?: { code?: string } } | undefined
  const cookie = res.headers
    .getSetCookie()
    .map((header) => /^__Host-baton_rt=([^;]+)/.exec(header)?.[1])
    .find((value) => value !== undefined)
  const tokens =
    res.status === 200 && body?.accessToken && body.sessionId && cookie
      ? { accessToken: body.accessToken, sessionId: body.sessionId, cookie }
      : undefined
  return { status: res.status, code: body?.error?.code, tokens }
}

/** POSTs to a cookie route with the headers the SPA sends (`X-CSRF: 1` and its `Origin`). */
export async function post(
  instance: Instance,
  route: '/login' | '/refresh' | '/logout',
  { cookie, body }: { cookie?: string; body?: unknown } = {},
): Promise<Answer> {
  const res = await fetch(`${instance.url}/auth${route}`, {
    method: 'POST',
    headers: {
      'x-csrf': '1',
      origin: APP_ORIGIN,
      'content-type': 'application/json',
      ...(cookie === undefined ? {} : { cookie: `__Host-baton_rt=${cookie}` }),
    },
    body: body === undefined ? null : JSON.stringify(body),
  })
  return answer(res)
}

/** Signs `username` in on `instance`; throws unless it succeeds. */
export async function login(instance: Instance, username: string): Promise<Tokens> {
  const result = await post(instance, '/login', { body: { username, password: PASSWORD } })
  if (!result.tokens) throw new Error(`login on ${instance.name}: ${result.status} ${result.code}`)
  return result.tokens
}

/** `GET /api/me` (behind `requireAuth({ checkRevoked })`) with a bearer token: the status. */
export async function me(instance: Instance, accessToken: string): Promise<number> {
  const res = await fetch(`${instance.url}/api/me`, {
    headers: { authorization: `Bearer ${accessToken}` },
  })
  await res.body?.cancel()
  return res.status
}

/** `GET /auth/sessions` with a bearer token: the status. */
export async function sessions(instance: Instance, accessToken: string): Promise<number> {
  const res = await fetch(`${instance.url}/auth/sessions`, {
    headers: { authorization: `Bearer ${accessToken}` },
  })
  await res.body?.cancel()
  return res.status
}
