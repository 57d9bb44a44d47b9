// A map that keeps its entries in least recently used order: a hash map of
// nodes on a doubly linked list. Marking an entry as used moves its node to
// the end of the list without touching the hash map. (Deleting and
// re-inserting a key in a JavaScript Map, the usual shortcut, leaves a
// deleted entry in the key's hash chain every time; V8 then spends tens of
// microseconds per lookup of a hot key in a large map until it rehashes.)

interface LruNode<K, V> {
  key: K;
  value: V;
  older: LruNode<K, V> | undefined;
  newer: LruNode<K, V> | undefined;
}

export class LruMap<K, V> {
  private readonly nodes = new Map<K, LruNode<K, V>>();
  private oldest: LruNode<K, V> | undefined;
  private newest: LruNode<K, V> | undefined;

  get size(): number {
    return this.nodes.size;
  }

  has(key: K): boolean {
    return this.nodes.has(key);
  }

  /** Returns the value and marks the entry as the most recently used. */
  get(key: K): V | undefined {
    const node = this.nodes.get(key);
    if (node === undefined) return undefined;
    this.moveToNewest(node);
    return node.value;
  }

  /** Adds or replaces an entry as the most recently used. */
  set(key: K, value: V): void {
    const existing = this.nodes.get(key);
    if (existing !== undefined) {
      existing.value = value;
      this.moveToNewest(existing);
      return;
    }
    const node: LruNode<K, V> = { key, value, older: this.newest, newer: undefined };
    if (this.newest !== undefined) this.newest.newer = node;
    this.newest = node;
    if (this.oldest === undefined) this.oldest = node;
    this.nodes.set(key, node);
  }

  /** Removes the least recently used entry and returns its key. */
  evictOldest(): K | undefined {
    return this.evictOldestEntry()?.[0];
  }

  /** Removes the least recently used entry and returns its key and value. */
  evictOldestEntry(): [K, V] | undefined {
    const node = this.oldest;
    if (node === undefined) return undefined;
    this.unlink(node);
    this.nodes.delete(node.key);
    return [node.key, node.value];
  }

  clear(): void {
    this.nodes.clear();
    this.oldest = undefined;
    this.newest = undefined;
  }

  /** Keys from the least to the most recently used. */
  keys(): K[] {
    const keys: K[] = [];
    for (let node = this.oldest; node !== undefined; node = node.newer) keys.push(node.key);
    return keys;
  }

  private moveToNewest(node: LruNode<K, V>): void {
    if (node === this.newest) return;
    this.unlink(node);
    node.older = this.newest;
    node.newer = undefined;
    if (this.newest !== undefined) this.newest.newer = node;
    this.newest = node;
    if (this.oldest === undefined) this.oldest = node;
  }

  private unlink(node: LruNode<K, V>): void {
    if (node.older !== undefined) node.older.newer = node.newer;
    else this.oldest = node.newer;
    if (node.newer !== undefined) node.newer.older = node.older;
    else this.newest = node.older;
    node.older = undefined;
    node.newer = undefined;
  }
}
