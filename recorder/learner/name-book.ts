import { snakeCase } from './values.js';

/** Hands out unique names: `id`, then `id_2`, `id_3`, … (constant time per name, however many). */
export class NameBook {
  private readonly used = new Set<string>();
  private readonly next = new Map<string, number>();

  take(base: string): string {
    const b = snakeCase(base);
    if (!this.used.has(b)) {
      this.used.add(b);
      return b;
    }
    for (let i = this.next.get(b) ?? 2; ; i++) {
      const n = `${b}_${i}`;
      if (!this.used.has(n)) {
        this.used.add(n);
        this.next.set(b, i + 1);
        return n;
      }
    }
  }

  reserve(name: string): void {
    this.used.add(name);
  }
}
