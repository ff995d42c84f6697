// One memory budget shared by every external sorter of a run (decode holds up to a dozen at once: Redis alone keeps
// one per collection type plus its TTL and type joins). Sorters reserve bytes from the pool before they buffer
// records or open merge read blocks, and give them back when they spill or finish. When the pool is short, the
// holder with the largest buffer spills (the requester itself when it holds the most), so runs stay long and the
// sum of live reservations stays within the budget. Only a single record or a two-block merge larger than what
// every holder can give back is taken beyond it (and then spilled or read at once). Slabs a sorter lets go after a
// spill wait in the pool for the next sorter that needs one (fresh buffers would be garbage until the next
// collection); spare slabs and reservations together stay within the budget. Reservations cover record slabs,
// the sort index and merge read blocks; the 1 MiB write block of a spill in progress is not counted.

/** A sorter's side of the pool: what it could give back by spilling its buffer now, and doing it. */
export interface PoolHolder {
  /** Bytes the holder would release by spilling now (0 while it is busy or merging). */
  reclaimable(): number;
  /** Spills the buffer and releases its reservation. */
  giveBack(): Promise<void>;
}

/**
 * A memory budget in bytes shared by external sorters: they reserve from it before buffering records or opening
 * merge read blocks. `peak` tells the most ever reserved at once.
 */
export class MemoryPool {
  readonly budget: number;
  /** Size of the buffers sorters copy records into: a 32nd of the budget, from 4 KiB up to 1 MiB. */
  readonly slabBytes: number;
  #live = 0;
  #peak = 0;
  readonly #holders = new Set<PoolHolder>();
  #spare: Buffer[] = [];

  constructor(budget: number) {
    this.budget = Math.max(1, Math.floor(budget));
    this.slabBytes = Math.min(1024 * 1024, Math.max(4096, Math.floor(this.budget / 32)));
  }

  /** Bytes reserved now. */
  get live(): number {
    return this.#live;
  }

  /** The most bytes ever reserved at once. */
  get peak(): number {
    return this.#peak;
  }

  /**
   * Reserves up to `want` bytes and at least `min` for `holder`, asking the holders with the largest buffers to
   * spill while the pool is short. Returns the bytes granted: 0 when `min` does not fit and the requester holds
   * the largest buffer (it should spill and ask again), or `min` beyond the budget with `force`.
   */
  async take(holder: PoolHolder, want: number, min: number, force = false): Promise<number> {
    this.#holders.add(holder);
    while (this.#free() < want && this.#spare.pop() !== undefined);
    while (this.budget - this.#live < want) {
      let victim: PoolHolder | undefined;
      let most = holder.reclaimable();
      for (const h of this.#holders) {
        const n = h === holder ? 0 : h.reclaimable();
        if (n > most) {
          most = n;
          victim = h;
        }
      }
      if (victim === undefined) break;
      await victim.giveBack();
    }
    const free = this.#free();
    const granted = free >= want ? want : free >= min ? free : force ? min : 0;
    this.#live += granted;
    this.#peak = Math.max(this.#peak, this.#live);
    return granted;
  }

  /** Bytes neither reserved nor held as spare slabs. */
  #free(): number {
    return this.budget - this.#live - this.#spare.length * this.slabBytes;
  }

  /** A buffer for at least `need` bytes of records: a spare slab when one is free and large enough. */
  slab(need: number): Buffer {
    const spare = need <= this.slabBytes ? this.#spare.pop() : undefined;
    return spare ?? Buffer.allocUnsafe(Math.max(this.slabBytes, need));
  }

  /** Takes back a sorter's slabs once their records are written out, keeping what fits in the free budget. */
  recycle(slabs: readonly Buffer[]): void {
    for (const b of slabs) if (b.length === this.slabBytes && this.#free() >= b.length) this.#spare.push(b);
  }

  /** Gives `bytes` of a reservation back. */
  release(bytes: number): void {
    this.#live -= bytes;
  }

  /** The holder has ended and holds nothing. */
  leave(holder: PoolHolder): void {
    this.#holders.delete(holder);
  }
}
