/**
 * A binary min-heap whose items remember where they are, so that changing an item's key or
 * removing it is O(log n) instead of a search: what the wait engine keeps its waits in (by next
 * poll, by deadline) so that a wake-up costs O(log n) rather than a scan of every wait.
 *
 * The item stores its own position (through `getSlot` / `setSlot`; -1 when it is in no heap of
 * this kind): no wrapper object and no Map per item.
 */
export interface Heap<A> {
  size(): number
  /** The item with the smallest key, if any. */
  peek(): A | undefined
  /** Adds an item that is not in the heap. */
  push(item: A): void
  /** Removes an item if it is in the heap (a no-op otherwise). */
  remove(item: A): void
  /** Restores the order after the item's key changed (either way); adds it if it is not in the heap. */
  update(item: A): void
  /**
   * Calls `f` for every item whose key is at most `limit`, in no particular order, visiting only
   * those items and their children: O(k) for k such items. `f` must not change the heap.
   */
  forEachAtMost(limit: number, f: (item: A) => void): void
}

/**
 * One class, its methods on the prototype: a heap costs an object and its array, not a closure and a
 * context per method (the engine keeps two per knowledge base, and a single wait has a loop of its own).
 */
class MinHeap<A> implements Heap<A> {
  private readonly items: Array<A> = []

  constructor(
    private readonly key: (item: A) => number,
    private readonly getSlot: (item: A) => number,
    private readonly setSlot: (item: A, slot: number) => void
  ) {}

  size(): number {
    return this.items.length
  }

  peek(): A | undefined {
    return this.items[0]
  }

  push(item: A): void {
    this.items.push(item)
    this.up(this.items.length - 1)
  }

  remove(item: A): void {
    const index = this.getSlot(item)
    if (index >= 0 && this.items[index] === item) this.removeAt(index)
  }

  update(item: A): void {
    const { items, key } = this
    const index = this.getSlot(item)
    if (index < 0 || items[index] !== item) this.push(item)
    else if (index > 0 && key(items[(index - 1) >> 1] as A) > key(item)) this.up(index)
    else this.down(index)
  }

  forEachAtMost(limit: number, f: (item: A) => void): void {
    const { items, key } = this
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

  private place(item: A, index: number): void {
    this.items[index] = item
    this.setSlot(item, index)
  }

  /** Moves the item at `index` up while it is smaller than its parent. */
  private up(index: number): void {
    const { items, key } = this
    const item = items[index] as A
    const k = key(item)
    while (index > 0) {
      const parentIndex = (index - 1) >> 1
      const parent = items[parentIndex] as A
      if (key(parent) <= k) break
      this.place(parent, index)
      index = parentIndex
    }
    this.place(item, index)
  }

  /** Moves the item at `index` down while a child is smaller. */
  private down(index: number): void {
    const { items, key } = this
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
      this.place(items[child] as A, index)
      index = child
    }
    this.place(item, index)
  }

  private removeAt(index: number): void {
    const { items } = this
    const removed = items[index] as A
    const last = items.pop() as A
    this.setSlot(removed, -1)
    if (index === items.length) return
    this.place(last, index)
    this.update(last)
  }
}

export const make = <A>(
  key: (item: A) => number,
  getSlot: (item: A) => number,
  setSlot: (item: A, slot: number) => void
): Heap<A> => new MinHeap(key, getSlot, setSlot)
