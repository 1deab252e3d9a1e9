import { describe, expect, it } from 'vitest'
import { DEMO_ACCOUNTS, createUserDirectory, scryptHasher, type PasswordHasher } from './users'

function countingHasher() {
  const calls: string[] = []
  const hash: PasswordHasher = (password, salt) => {
    calls.push(password)
    return scryptHasher(password, salt)
  }
  return { hash, calls }
}

describe('createUserDirectory', () => {
  it('Should hash each demo password and one dummy at start', async () => {
    const { hash, calls } = countingHasher()
    await createUserDirectory(DEMO_ACCOUNTS, hash)
    expect(calls).toHaveLength(DEMO_ACCOUNTS.length + 1)
  })

  it('Should run scrypt exactly once per attempt, for known and unknown users alike', async () => {
    const { hash, calls } = countingHasher()
    const users = await createUserDirectory(DEMO_ACCOUNTS, hash)
    const attempts = [
      { username: 'alice', password: 'wonderland' },
      { username: 'alice', password: 'wrong' },
      { username: 'mallory', password: 'wonderland' },
      { username: '', password: 'x' },
    ]
    for (const credentials of attempts) {
      const before = calls.length
      await users.authenticate(credentials)
      expect(calls.length - before, credentials.username).toBe(1)
    }
  })

  it('Should return the user for the right password and null otherwise', async () => {
    const users = await createUserDirectory()
    expect(await users.authenticate({ username: 'alice', password: 'wonderland' })).toEqual({
      id: 'u-alice',
      username: 'alice',
      name: 'Alice',
      email: 'alice@example.com',
      role: 'admin',
    })
    expect(await users.authenticate({ username: 'Bob ', password: 'builder' })).toMatchObject({
      id: 'u-bob',
    })
    expect(await users.authenticate({ username: 'alice', password: 'builder' })).toBeNull()
    expect(await users.authenticate({ username: 'alice', password: 'Wonderland' })).toBeNull()
    expect(await users.authenticate({ username: 'nobody', password: 'wonderland' })).toBeNull()
  })

  it('Should find users by id', async () => {
    const users = await createUserDirectory()
    expect(users.find('u-bob')?.name).toBe('Bob')
    expect(users.find('u-nobody')).toBeUndefined()
  })

  it('Should keep a provider user for find() and list(), and never let one replace an account', async () => {
    const users = await createUserDirectory()
    const carol = {
      id: 'idp:carol',
      username: 'carol',
      name: 'Carol',
      email: '',
      role: 'member',
    } as const
    expect(users.remember(carol)).toBe(carol)
    expect(users.find('idp:carol')).toBe(carol)
    expect(users.list().map((user) => user.id)).toStrictEqual(['u-alice', 'u-bob', 'idp:carol'])

    const impostor = { ...carol, id: 'u-alice', role: 'admin' } as const
    expect(users.remember(impostor)).toMatchObject({ id: 'u-alice', username: 'alice' })
    expect(users.find('u-alice')?.username).toBe('alice')
  })
})
