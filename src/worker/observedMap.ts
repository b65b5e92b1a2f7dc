/** A Map that says when its size may have changed. */
export class ObservedMap<K, V> extends Map<K, V> {
  constructor(private readonly changed: () => void) {
    super();
  }

  override set(key: K, value: V): this {
    super.set(key, value);
    this.changed?.();
    return this;
  }

  override delete(key: K): boolean {
    const deleted = super.delete(key);
    if (deleted) this.changed();
    return deleted;
  }

  override clear(): void {
    super.clear();
    this.changed();
  }
}
