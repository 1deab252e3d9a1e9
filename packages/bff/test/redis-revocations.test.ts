/** The Redis revocation feed's message parser: what another instance publishes, read defensively. */
import { describe, expect, it } from 'vitest'
import { parseRevocationMessage } from '../src/stores/redis-revocations.js'

describe('parseRevocationMessage()', () => {
  it('reads the origin and the ids', () => {
    expect(parseRevocationMessage('{"o":"abc","ids":["s1","s2"]}')).toStrictEqual({
      origin: 'abc',
      ids: ['s1', 's2'],
      epoch: null,
    })
  })

  it('reads an epoch (bff.admin.revokeAll) and ignores one that is not a positive number', () => {
    expect(parseRevocationMessage('{"o":"abc","ids":[],"epoch":1705309201000}')).toStrictEqual({
      origin: 'abc',
      ids: [],
      epoch: 1705309201000,
    })
    expect(parseRevocationMessage('{"o":"abc","ids":[],"epoch":"1"}')?.epoch).toBeNull()
    expect(parseRevocationMessage('{"o":"abc","ids":[],"epoch":-5}')?.epoch).toBeNull()
  })

  it('drops ids that are not strings', () => {
    expect(parseRevocationMessage('{"o":"abc","ids":["s1",2,null,{"x":1}]}')).toStrictEqual({
      origin: 'abc',
      ids: ['s1'],
      epoch: null,
    })
  })

  it.each([
    ['invalid JSON', '{"o":'],
    ['JSON null', 'null'],
    ['a string', '"s1"'],
    ['no origin', '{"ids":["s1"]}'],
    ['a numeric origin', '{"o":1,"ids":["s1"]}'],
    ['ids that are not an array', '{"o":"abc","ids":"s1"}'],
  ])('ignores %s', (_, message) => {
    expect(parseRevocationMessage(message)).toBeNull()
  })
})
