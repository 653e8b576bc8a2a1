// The hub's request for a garbage collection after every so many sockets opened.
import { describe, expect, test } from 'bun:test'
import { collectAfterOpens } from '../src/hub/collect-after-opens.ts'

describe('a collection requested after every so many sockets opened', () => {
  test('asks once per full count of opens, and counts again from zero', () => {
    let collections = 0
    const opened = collectAfterOpens(3, () => collections++)
    const after = (n: number) => {
      for (let i = 0; i < n; i++) opened()
      return collections
    }
    expect(after(2)).toBe(0)
    expect(after(1)).toBe(1)
    expect(after(5)).toBe(2)
    expect(after(1)).toBe(3)
  })
})
