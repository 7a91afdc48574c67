/**
 * A binary min-heap whose items remember where they are, so that changing an item's key or
 * removing it is O(log n) instead of a search: what the wait engine keeps its waits in (by next
 * poll, by deadline) so that a wake-up costs O(log n) rather than a scan of every wait.
 *
 * The item stores its own position (through `getSlot` / `setSlot`; -1 when it is in no heap of
 * this kind): no wrapper object and no Map per item.
 */
export interface Heap<A> {
  readonly size: () => number
  /** The item with the smallest key, if any. */
  readonly peek: () => A | undefined
  /** Adds an item that is not in the heap. */
  readonly push: (item: A) => void
  /** Removes an item if it is in the heap (a no-op otherwise). */
  readonly remove: (item: A) => void
  /** Restores the order after the item's key changed (either way); adds it if it is not in the heap. */
  readonly update: (item: A) => void
  /**
   * Calls `f` for every item whose key is at most `limit`, in no particular order, visiting only
   * those items and their children: O(k) for k such items. `f` must not change the heap.
   */
  readonly forEachAtMost: (limit: number, f: (item: A) => void) => void
}

export const make = <A>(
  key: (item: A) => number,
  getSlot: (item: A) => number,
  setSlot: (item: A, slot: number) => void
): Heap<A> => {
  const items: Array<A> = []

  const place = (item: A, index: number) => {
    items[index] = item
    setSlot(item, index)
  }

  /** Moves the item at `index` up while it is smaller than its parent. */
  const up = (index: number) => {
    const item = items[index] as A
    const k = key(item)
    while (index > 0) {
      const parentIndex = (index - 1) >> 1
      const parent = items[parentIndex] as A
      if (key(parent) <= k) break
      place(parent, index)
      index = parentIndex
    }
    place(item, index)
  }

  /** Moves the item at `index` down while a child is smaller. */
  const down = (index: number) => {
    const item = items[index] as A
    const k = key(item)
    const length = items.length
    for (;;) {
      const left = 2 * index + 1
      if (left >= length) break
      const right = left + 1
      let child = left
      let childKey = key(items[left] as A)
      if (right < length) {
        const rightKey = key(items[right] as A)
        if (rightKey < childKey) {
          child = right
          childKey = rightKey
        }
      }
      if (childKey >= k) break
      place(items[child] as A, index)
      index = child
    }
    place(item, index)
  }

  const push = (item: A) => {
    items.push(item)
    up(items.length - 1)
  }

  const removeAt = (index: number) => {
    const removed = items[index] as A
    const last = items.pop() as A
    setSlot(removed, -1)
    if (index === items.length) return
    place(last, index)
    update(last)
  }

  const update = (item: A) => {
    const index = getSlot(item)
    if (index < 0 || items[index] !== item) return push(item)
    if (index > 0 && key(items[(index - 1) >> 1] as A) > key(item)) up(index)
    else down(index)
  }

  const remove = (item: A) => {
    const index = getSlot(item)
    if (index >= 0 && items[index] === item) removeAt(index)
  }

  const forEachAtMost = (limit: number, f: (item: A) => void) => {
    if (items.length === 0) return
    const stack = [0]
    while (stack.length > 0) {
      const index = stack.pop() as number
      const item = items[index] as A
      if (key(item) > limit) continue
      f(item)
      const left = 2 * index + 1
      if (left < items.length) stack.push(left)
      if (left + 1 < items.length) stack.push(left + 1)
    }
  }

  return {
    size: () => items.length,
    peek: () => items[0],
    push,
    remove,
    update,
    forEachAtMost
  }
}
