import { describe, expect, it } from 'vitest'
import { generateKeyPair } from './dpop-keys.js'
import { athOf, base64url, boundTo, payloadOf, publicJwkOf, signProof } from './dpop-proof.js'

const decode = (part: string) =>
  JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>

describe('DPoP proofs written with WebCrypto', () => {
  it('base64url has no padding and the URL alphabet', () => {
    expect(base64url(new Uint8Array([0xfb, 0xff, 0xfe]))).toBe('-__-')
    expect(base64url('é')).toBe(Buffer.from('é').toString('base64url'))
    expect(base64url(new Uint8Array([1]).buffer)).toBe('AQ')
  })

  it('a proof has the RFC 9449 header and claims, and verifies with the public JWK it carries', async () => {
    const pair = await generateKeyPair()
    expect(pair.privateKey.extractable).toBe(false)
    await expect(crypto.subtle.exportKey('jwk', pair.privateKey)).rejects.toThrow()
    const jwk = await publicJwkOf(pair.publicKey)
    const proof = await signProof(
      { privateKey: pair.privateKey, jwk },
      { htm: 'POST', htu: 'https://app.example/auth/refresh', iat: 1_700_000_000, nonce: 'n-1' },
    )
    const [header, payload, signature] = proof.split('.') as [string, string, string]
    expect(decode(header)).toEqual({ typ: 'dpop+jwt', alg: 'ES256', jwk })
    expect(Object.keys(jwk).sort()).toEqual(['crv', 'kty', 'x', 'y'])
    const claims = decode(payload)
    expect(claims).toEqual({
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      htm: 'POST',
      htu: 'https://app.example/auth/refresh',
      iat: 1_700_000_000,
      nonce: 'n-1',
    })
    // Raw r || s, 64 bytes: what JWS ES256 is, and what WebCrypto signs.
    const bytes = Buffer.from(signature, 'base64url')
    expect(bytes).toHaveLength(64)
    const verifier = await crypto.subtle.importKey(
      'jwk',
      jwk,
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    )
    const ok = await crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      verifier,
      bytes,
      new TextEncoder().encode(`${header}.${payload}`),
    )
    expect(ok).toBe(true)
    const again = await signProof(
      { privateKey: pair.privateKey, jwk },
      { htm: 'GET', htu: 'x', iat: 1 },
    )
    expect(decode(again.split('.')[1]!).jti).not.toBe(claims.jti)
  })

  it('ath is the base64url SHA-256 of the token', async () => {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode('a.b.c'))
    expect(await athOf('a.b.c')).toBe(Buffer.from(digest).toString('base64url'))
  })

  it('reads cnf.jkt of a bound token, null for a bearer token or garbage', () => {
    const token = (payload: object) => `h.${base64url(JSON.stringify(payload))}.s`
    expect(boundTo(token({ sub: 'u', cnf: { jkt: 'abc' } }))).toBe('abc')
    expect(boundTo(token({ sub: 'u' }))).toBeNull()
    expect(boundTo(token({ cnf: { jkt: 1 } }))).toBeNull()
    expect(boundTo('not-a-jwt')).toBeNull()
    expect(payloadOf(token({ iat: 5 }))).toEqual({ iat: 5 })
    expect(boundTo(token({ cnf: null }))).toBeNull()
    expect(payloadOf('x.%%%.y')).toBeUndefined()
  })
})
