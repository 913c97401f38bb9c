/**
 * A run's cancellation (deadline, caller's signal), cheaper than an AbortController and a timer
 * per run on the warm path: undici takes anything with on/once/removeListener as a request signal
 * (a plain listener list here, no EventTarget and no EventEmitter to set up per run), HTTP steps are bounded by the deadline through
 * their own timeouts (see HttpStepRunner), and the deadline timer and the standard AbortSignal
 * that browsers and waits need are only made when one of them asks for the signal.
 */
export class RunAbort {
  aborted = false;
  reason: unknown = undefined;
  private controller?: AbortController;
  private timer?: NodeJS.Timeout;
  private listeners: Array<() => void> = [];
  /** Someone outside the run may abort it (a caller's signal is wired to abort()). */
  private external = false;

  constructor(
    /** When the run must end (epoch ms). */
    readonly deadline: number,
    /** The reason given when the deadline passes. */
    private readonly expiredReason: () => unknown,
  ) {}

  /** Marks the run as cancellable from outside (the caller gave a signal). */
  wireExternal(): void {
    this.external = true;
  }

  /**
   * Something can abort the run while a request is in flight: a caller's signal, or the deadline
   * timer (made once the standard signal was asked for). Otherwise only the run itself aborts it,
   * between steps, and a request need not listen (the step timeout bounds it by the deadline).
   */
  get live(): boolean {
    return this.external || this.controller !== undefined;
  }

  /** The EventEmitter surface undici uses ('abort' only). */
  on(event: 'abort', listener: () => void): this {
    if (event === 'abort') this.listeners.push(listener);
    return this;
  }

  once(event: 'abort', listener: () => void): this {
    return this.on(event, listener);
  }

  removeListener(event: 'abort', listener: () => void): this {
    const i = event === 'abort' ? this.listeners.lastIndexOf(listener) : -1;
    if (i !== -1) this.listeners.splice(i, 1);
    return this;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.close();
    this.controller?.abort(reason);
    // Listeners are called once: the list is emptied first.
    const listeners = this.listeners;
    this.listeners = [];
    for (const l of listeners) l();
  }

  /** Aborts with the deadline's reason (the deadline passed). */
  expire(): void {
    this.abort(this.expiredReason());
  }

  /** A standard AbortSignal that follows this one and fires at the deadline, made on first use. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
      else this.timer = setTimeout(() => this.expire(), Math.max(0, this.deadline - Date.now()));
    }
    return this.controller.signal;
  }

  /** Stops the deadline timer (the run is over). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
