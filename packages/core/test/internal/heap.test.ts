import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as Heap from "../../src/internal/heap.js"

/**
 * The engine's priority structure: a min-heap whose items know their position. Checked against
 * the obvious model (a list searched in full) under random pushes, key changes and removals.
 */

interface Item {
  readonly id: number
  key: number
  slot: number
}

const makeHeap = () =>
  Heap.make<Item>(
    (item) => item.key,
    (item) => item.slot,
    (item, slot) => {
      item.slot = slot
    }
  )

const item = (id: number, key: number): Item => ({ id, key, slot: -1 })

describe("internal/heap", () => {
  it("peeks the smallest key and keeps order through updates and removals", () => {
    const heap = makeHeap()
    const [a, b, c] = [item(1, 30), item(2, 10), item(3, 20)]
    heap.push(a)
    heap.push(b)
    heap.push(c)
    expect(heap.peek()).toBe(b)
    b.key = 40
    heap.update(b)
    expect(heap.peek()).toBe(c)
    heap.remove(c)
    expect(heap.peek()).toBe(a)
    expect(c.slot).toBe(-1)
    heap.remove(c)
    expect(heap.size()).toBe(2)
  })

  it("update adds an item that is not in the heap", () => {
    const heap = makeHeap()
    const a = item(1, 5)
    heap.update(a)
    expect(heap.peek()).toBe(a)
    expect(heap.size()).toBe(1)
  })

  it("forEachAtMost visits exactly the items at or below the limit", () => {
    const heap = makeHeap()
    for (let id = 0; id < 50; id++) heap.push(item(id, (id * 37) % 50))
    const seen: Array<number> = []
    heap.forEachAtMost(9, (one) => void seen.push(one.key))
    expect(seen.sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it("agrees with a list searched in full under random operations", () => {
    const operation = fc.oneof(
      fc.record({ op: fc.constant("push" as const), key: fc.integer({ min: 0, max: 100 }) }),
      fc.record({
        op: fc.constant("update" as const),
        pick: fc.nat(),
        key: fc.integer({ min: 0, max: 100 })
      }),
      fc.record({ op: fc.constant("remove" as const), pick: fc.nat() }),
      fc.record({ op: fc.constant("scan" as const), limit: fc.integer({ min: -1, max: 101 }) })
    )
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 200 }), (operations) => {
        const heap = makeHeap()
        const model: Array<Item> = []
        let nextId = 0
        for (const operation of operations) {
          switch (operation.op) {
            case "push": {
              const added = item(nextId++, operation.key)
              model.push(added)
              heap.push(added)
              break
            }
            case "update": {
              const target = model[operation.pick % Math.max(1, model.length)]
              if (target === undefined) break
              target.key = operation.key
              heap.update(target)
              break
            }
            case "remove": {
              const index = operation.pick % Math.max(1, model.length)
              const target = model[index]
              if (target === undefined) break
              model.splice(index, 1)
              heap.remove(target)
              break
            }
            case "scan": {
              const seen: Array<number> = []
              heap.forEachAtMost(operation.limit, (one) => void seen.push(one.id))
              const expected = model.filter((one) => one.key <= operation.limit).map((one) => one.id)
              expect(seen.sort((x, y) => x - y)).toEqual(expected.sort((x, y) => x - y))
              break
            }
          }
          expect(heap.size()).toBe(model.length)
          const smallest = Math.min(...model.map((one) => one.key))
          expect(heap.peek()?.key).toBe(model.length === 0 ? undefined : smallest)
        }
      })
    )
  })
})
