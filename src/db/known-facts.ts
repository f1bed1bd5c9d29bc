// Facts that never go back once a transaction committed them (a milestone reached): the pool
// remembers them for a while, so a hot path skips asking PostgreSQL again. Bounded and expiring:
// an instance removed and created again under the same id is asked anew.
export class KnownFacts {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly limit = 100_000,
    private readonly ttlMs = 10 * 60_000,
  ) {}

  has(key: string): boolean {
    const until = this.until.get(key);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.until.delete(key);
    return false;
  }

  /** Only for a fact read as committed (a conflict): a row this transaction wrote could still roll back. */
  remember(key: string): void {
    if (this.until.size >= this.limit) this.until.clear();
    this.until.set(key, Date.now() + this.ttlMs);
  }
}
