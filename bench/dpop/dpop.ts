/**
 * @module
 * `pnpm bench dpop`: what device binding (DPoP, RFC 9449) costs the BFF per refresh. One process,
 * one BFF on the memory store, refreshes sent in-process (`app.request`) one after another: the
 * same number of sessions refreshed unbound (no proof) and bound (a proof verified, its `jti`
 * remembered, the token minted with `cnf.jkt`), in the same run. The proofs are signed before the
 * clock starts (with jose, as the browser signs with WebCrypto), so the figure is the server's
 * share only: JWS verification with the embedded key, the thumbprint, the replay write.
 */
import { randomBytes } from 'node:crypto'
import { createBff, createSigningKeys, generateSigningKey, memoryStore } from '@baton/bff'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'
import type { Benchmark } from '../lib/benchmark.js'
import { median, ratio } from '../lib/stats.js'
import { formatTable } from '../lib/table.js'

const ORIGIN = 'http://localhost'
const CSRF = { 'x-csrf': '1', 'sec-fetch-site': 'same-origin' }

interface Key {
  privateKey: CryptoKey
  jwk: JWK
}

const sign = (key: Key, path: string) =>
  new SignJWT({ htm: 'POST', htu: `${ORIGIN}${path}`, jti: randomBytes(16).toString('base64url') })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })
    .setIssuedAt()
    .sign(key.privateKey)

const cookieOf = (res: Response) => {
  const header = res.headers.getSetCookie()[0] ?? ''
  return header.slice(0, header.indexOf(';'))
}

/** Refreshes/s and µs per refresh for `sessions` sessions refreshed `rounds` times each. */
async function measure(bound: boolean, sessions: number, rounds: number) {
  const keys = createSigningKeys({ keys: [await generateSigningKey('ES256')] })
  const bff = createBff({
    keys,
    store: memoryStore({ sweepInterval: 0 }),
    rateLimit: false,
    anomalies: false,
    authenticate: async ({ username }) => ({ id: username }),
  })
  const post = (path: string, headers: Record<string, string>, body: string | null = null) =>
    bff.request(
      new Request(`${ORIGIN}${path}`, { method: 'POST', headers: { ...CSRF, ...headers }, body }),
    )

  const clients: { key: Key; cookie: string }[] = []
  for (let i = 0; i < sessions; i++) {
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    const key = { privateKey, jwk: await exportJWK(publicKey) }
    const res = await post(
      '/auth/login',
      {
        'content-type': 'application/json',
        ...(bound ? { dpop: await sign(key, '/auth/login') } : {}),
      },
      JSON.stringify({ username: `u${i}`, password: 'x' }),
    )
    if (res.status !== 200) throw new Error(`login answered ${res.status}`)
    clients.push({ key, cookie: cookieOf(res) })
  }
  const perRound: number[] = []
  for (let round = 0; round < rounds; round++) {
    // Signed ahead: only the server's work is timed.
    const proofs = bound ? await Promise.all(clients.map((c) => sign(c.key, '/auth/refresh'))) : []
    const started = process.hrtime.bigint()
    for (const [i, client] of clients.entries()) {
      const res = await post('/auth/refresh', {
        cookie: client.cookie,
        ...(bound ? { dpop: proofs[i]! } : {}),
      })
      if (res.status !== 200) throw new Error(`refresh answered ${res.status}: ${await res.text()}`)
      client.cookie = cookieOf(res)
    }
    perRound.push(Number(process.hrtime.bigint() - started) / 1_000 / sessions)
  }
  const microseconds = median(perRound)
  return { microseconds, perSecond: 1_000_000 / microseconds }
}

export const dpopBenchmark: Benchmark = {
  name: 'dpop',
  title: 'Device binding (DPoP): server cost per refresh',
  async run({ log, quick }) {
    const sessions = quick ? 50 : 500
    const rounds = quick ? 3 : 9
    log(`dpop: ${sessions} sessions × ${rounds} rounds, unbound then bound`)
    // Warm-up: JIT and key imports, not measured.
    await measure(false, 20, 1)
    await measure(true, 20, 1)
    const off = await measure(false, sessions, rounds)
    const on = await measure(true, sessions, rounds)
    const slowdown = ratio(on.microseconds, off.microseconds)
    const report = [
      formatTable(
        ['binding', 'µs / refresh (median of rounds)', 'refreshes / s (one core, in-process)'],
        [
          ['off (Bearer)', Math.round(off.microseconds), Math.round(off.perSecond)],
          ['on (DPoP proof verified)', Math.round(on.microseconds), Math.round(on.perSecond)],
        ],
      ),
      '',
      `Bound refresh costs ${slowdown.toFixed(2)}× an unbound one on the server (proofs signed ` +
        'before timing; memory store; no network).',
    ].join('\n')
    return { report, data: { sessions, rounds, off, on, ratio: slowdown }, failures: [] }
  },
}
