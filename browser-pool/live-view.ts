import type { CDPSession, Page } from 'playwright';
import { VIEWPORT_LIMITS, type LiveInput } from './live-input.js';

export interface LiveFrame {
  /** A JPEG picture of the page. */
  jpeg: Buffer;
  /** The page's size in CSS pixels when the picture was taken. */
  width: number;
  height: number;
}

export interface LiveViewOptions {
  /** Called with each frame; the next one is asked for once the promise it returns settles (pacing). */
  onFrame: (frame: LiveFrame) => Promise<void>;
  /** JPEG quality 1–100. Default 70. */
  quality?: number;
  /** Largest frame sent (device pixels). Default 1920 x 1200. */
  maxWidth?: number;
  maxHeight?: number;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/**
 * One page streamed to a viewer and driven by it: CDP's screencast (Page.startScreencast) sends a
 * frame when the page paints, and each is acknowledged only after the viewer's side took it, so a
 * slow viewer gets fewer frames rather than a backlog. Input goes through Playwright's mouse and
 * keyboard (which fill in key codes and modifiers as a real keyboard would), at positions the
 * viewer gives as fractions of the frame.
 */
export class LiveView {
  private cdp?: CDPSession;
  private closed = false;

  private constructor(
    readonly page: Page,
    private readonly o: LiveViewOptions,
  ) {}

  static async open(page: Page, opts: LiveViewOptions): Promise<LiveView> {
    const view = new LiveView(page, opts);
    await view.start();
    return view;
  }

  private async start(): Promise<void> {
    const cdp = await this.page.context().newCDPSession(this.page);
    this.cdp = cdp;
    cdp.on('Page.screencastFrame', (ev: { data: string; sessionId: number; metadata: { deviceWidth: number; deviceHeight: number } }) => {
      if (this.closed) return;
      const frame = { jpeg: Buffer.from(ev.data, 'base64'), width: Math.round(ev.metadata.deviceWidth), height: Math.round(ev.metadata.deviceHeight) };
      void this.o
        .onFrame(frame)
        .catch(() => undefined)
        .then(() => (this.closed ? undefined : cdp.send('Page.screencastFrameAck', { sessionId: ev.sessionId })))
        .catch(() => undefined); // the page went away: nothing to acknowledge
    });
    await cdp.send('Page.startScreencast', { format: 'jpeg', quality: this.o.quality ?? 70, maxWidth: this.o.maxWidth ?? 1920, maxHeight: this.o.maxHeight ?? 1200, everyNthFrame: 1 });
  }

  /** The page's size in CSS pixels. */
  async size(): Promise<{ width: number; height: number }> {
    const v = this.page.viewportSize();
    if (v) return v;
    return this.page.evaluate(() => ({ width: window.innerWidth, height: window.innerHeight }));
  }

  /** Does what the viewer did. A key Playwright does not know is ignored (false). */
  async input(ev: LiveInput): Promise<boolean> {
    const p = this.page;
    switch (ev.type) {
      case 'mouse': {
        const { width, height } = await this.size();
        const x = ev.x * width;
        const y = ev.y * height;
        if (ev.action === 'move') await p.mouse.move(x, y);
        else {
          await p.mouse.move(x, y);
          const opts = { button: ev.button ?? 'left', clickCount: ev.clickCount ?? 1 } as const;
          await (ev.action === 'down' ? p.mouse.down(opts) : p.mouse.up(opts));
        }
        return true;
      }
      case 'wheel': {
        const { width, height } = await this.size();
        await p.mouse.move(ev.x * width, ev.y * height);
        await p.mouse.wheel(ev.dx, ev.dy);
        return true;
      }
      case 'key':
        try {
          await (ev.action === 'down' ? p.keyboard.down(ev.key) : p.keyboard.up(ev.key));
          return true;
        } catch (err) {
          if (/Unknown key/i.test((err as Error).message)) return false;
          throw err;
        }
      case 'text':
        await p.keyboard.insertText(ev.text);
        return true;
      case 'viewport': {
        const L = VIEWPORT_LIMITS;
        await p.setViewportSize({ width: clamp(ev.width, L.minWidth, L.maxWidth), height: clamp(ev.height, L.minHeight, L.maxHeight) });
        return true;
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.cdp?.send('Page.stopScreencast').catch(() => undefined);
    await this.cdp?.detach().catch(() => undefined);
  }
}
