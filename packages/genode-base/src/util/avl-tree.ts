/**
 * An ordered map on an AVL tree: O(log n) insert, delete, exact lookup and floor/ceiling queries,
 * plus ordered iteration from any key. Region maps keep their regions and free blocks in it, so
 * that a lookup never walks a list (Genode's core uses an AVL allocator for the same reason).
 */
export class AvlTree<K, V> {
  #root: AvlNode<K, V> | null = null;
  #size = 0;
  readonly #compare: (a: K, b: K) => number;

  constructor(compare: (a: K, b: K) => number) {
    this.#compare = compare;
  }

  /** Number of entries. */
  get size(): number {
    return this.#size;
  }

  /** The value stored under `key`, or undefined. */
  get(key: K): V | undefined {
    let n = this.#root;
    while (n !== null) {
      const c = this.#compare(key, n.key);
      if (c === 0) return n.value;
      n = c < 0 ? n.left : n.right;
    }
    return undefined;
  }

  /** Insert or replace the value under `key`. */
  set(key: K, value: V): void {
    this.#root = this.#insert(this.#root, key, value);
  }

  /** Remove `key`; returns whether it was present. */
  delete(key: K): boolean {
    const before = this.#size;
    this.#root = this.#remove(this.#root, key);
    return this.#size !== before;
  }

  /** The entry with the greatest key ≤ `key`. */
  floor(key: K): AvlEntry<K, V> | undefined {
    let n = this.#root;
    let best: AvlNode<K, V> | null = null;
    while (n !== null) {
      const c = this.#compare(key, n.key);
      if (c === 0) return n;
      if (c < 0) n = n.left;
      else {
        best = n;
        n = n.right;
      }
    }
    return best ?? undefined;
  }

  /** The entry with the least key ≥ `key`. */
  ceiling(key: K): AvlEntry<K, V> | undefined {
    let n = this.#root;
    let best: AvlNode<K, V> | null = null;
    while (n !== null) {
      const c = this.#compare(key, n.key);
      if (c === 0) return n;
      if (c > 0) n = n.right;
      else {
        best = n;
        n = n.left;
      }
    }
    return best ?? undefined;
  }

  /** The entry with the least key. */
  first(): AvlEntry<K, V> | undefined {
    let n = this.#root;
    if (n === null) return undefined;
    while (n.left !== null) n = n.left;
    return n;
  }

  /** Entries in ascending key order, starting at the least key ≥ `from` (or the first). */
  *entries(from?: K): Generator<AvlEntry<K, V>, void, undefined> {
    const stack: AvlNode<K, V>[] = [];
    let n = this.#root;
    while (n !== null) {
      if (from === undefined || this.#compare(from, n.key) <= 0) {
        stack.push(n);
        n = n.left;
      } else n = n.right;
    }
    while (stack.length > 0) {
      const top = stack.pop()!;
      yield top;
      let r = top.right;
      while (r !== null) {
        stack.push(r);
        r = r.left;
      }
    }
  }

  /** Values in ascending key order. */
  *values(): Generator<V, void, undefined> {
    for (const e of this.entries()) yield e.value;
  }

  /** Height of the tree (for tests of the balance invariant). */
  height(): number {
    return h(this.#root);
  }

  /** Check the AVL and ordering invariants; throws on violation (tests only). */
  verify(): void {
    const walk = (n: AvlNode<K, V> | null, lo: K | undefined, hi: K | undefined): number => {
      if (n === null) return 0;
      if (lo !== undefined && this.#compare(n.key, lo) <= 0) throw new Error('order violated');
      if (hi !== undefined && this.#compare(n.key, hi) >= 0) throw new Error('order violated');
      const hl = walk(n.left, lo, n.key);
      const hr = walk(n.right, n.key, hi);
      if (Math.abs(hl - hr) > 1) throw new Error('balance violated');
      if (n.height !== 1 + Math.max(hl, hr)) throw new Error('height stale');
      return n.height;
    };
    walk(this.#root, undefined, undefined);
  }

  #insert(n: AvlNode<K, V> | null, key: K, value: V): AvlNode<K, V> {
    if (n === null) {
      this.#size++;
      return { key, value, left: null, right: null, height: 1 };
    }
    const c = this.#compare(key, n.key);
    if (c === 0) {
      n.value = value;
      return n;
    }
    if (c < 0) n.left = this.#insert(n.left, key, value);
    else n.right = this.#insert(n.right, key, value);
    return rebalance(n);
  }

  #remove(n: AvlNode<K, V> | null, key: K): AvlNode<K, V> | null {
    if (n === null) return null;
    const c = this.#compare(key, n.key);
    if (c < 0) n.left = this.#remove(n.left, key);
    else if (c > 0) n.right = this.#remove(n.right, key);
    else {
      this.#size--;
      if (n.left === null) return n.right;
      if (n.right === null) return n.left;
      let m = n.right;
      while (m.left !== null) m = m.left;
      n.right = removeMin(n.right);
      m.left = n.left;
      m.right = n.right;
      return rebalance(m);
    }
    return rebalance(n);
  }
}

/** One entry of an {@link AvlTree}; `value` may be replaced in place. */
export interface AvlEntry<K, V> {
  readonly key: K;
  value: V;
}

interface AvlNode<K, V> {
  key: K;
  value: V;
  left: AvlNode<K, V> | null;
  right: AvlNode<K, V> | null;
  height: number;
}

function h<K, V>(n: AvlNode<K, V> | null): number {
  return n === null ? 0 : n.height;
}

function update<K, V>(n: AvlNode<K, V>): void {
  const a = h(n.left);
  const b = h(n.right);
  n.height = 1 + Math.max(a, b);
}

function rotateRight<K, V>(n: AvlNode<K, V>): AvlNode<K, V> {
  const l = n.left!;
  n.left = l.right;
  l.right = n;
  update(n);
  update(l);
  return l;
}

function rotateLeft<K, V>(n: AvlNode<K, V>): AvlNode<K, V> {
  const r = n.right!;
  n.right = r.left;
  r.left = n;
  update(n);
  update(r);
  return r;
}

function rebalance<K, V>(n: AvlNode<K, V>): AvlNode<K, V> {
  update(n);
  const bal = h(n.left) - h(n.right);
  if (bal > 1) {
    if (h(n.left!.left) < h(n.left!.right)) n.left = rotateLeft(n.left!);
    return rotateRight(n);
  }
  if (bal < -1) {
    if (h(n.right!.right) < h(n.right!.left)) n.right = rotateRight(n.right!);
    return rotateLeft(n);
  }
  return n;
}

function removeMin<K, V>(n: AvlNode<K, V>): AvlNode<K, V> | null {
  if (n.left === null) return n.right;
  n.left = removeMin(n.left);
  return rebalance(n);
}

/** Comparator for numeric keys. */
export function compareNumbers(a: number, b: number): number {
  return a - b;
}
