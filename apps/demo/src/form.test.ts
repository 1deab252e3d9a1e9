import { describe, expect, it } from 'vitest'
import { formText } from './form'

describe('formText', () => {
  it('Should read a text field, and give "" for a missing field or a file', () => {
    const form = new FormData()
    form.set('username', 'alice')
    form.set('avatar', new Blob(['x']), 'avatar.png')
    expect(formText(form, 'username')).toBe('alice')
    expect(formText(form, 'password')).toBe('')
    expect(formText(form, 'avatar')).toBe('')
  })
})
