/**
 * The two pages bench/liveview uses. The target flips a big square between red and blue on request
 * and reports each flip and each key it receives (with Date.now(): one machine, one clock); a
 * spinner keeps it painting, as a page that animates does. The viewer connects to the live view,
 * paints every frame it gets onto a canvas and notes when the square's colour changes there.
 */
export const TARGET_PAGE = `<!doctype html><title>liveview target</title>
<style>
  body { margin: 0; font: 16px sans-serif; }
  #box { position: fixed; left: 0; top: 0; width: 50vw; height: 50vh; background: rgb(255, 0, 0); }
  #spin { position: fixed; right: 40px; bottom: 40px; width: 120px; height: 120px; background: #333; animation: spin 1s linear infinite; }
  @keyframes spin { to { transform: rotate(360deg); } }
</style>
<div id="box"></div><div id="spin"></div>
<script>
  let red = true;
  window.flip = () => {
    red = !red;
    document.getElementById('box').style.background = red ? 'rgb(255, 0, 0)' : 'rgb(0, 0, 255)';
    fetch('/report?what=flip&color=' + (red ? 'red' : 'blue') + '&t=' + Date.now());
  };
  setInterval(() => { if (location.hash === '#flip') window.flip(); }, 400);
  addEventListener('keydown', (e) => fetch('/report?what=key&key=' + encodeURIComponent(e.key) + '&t=' + Date.now()));
</script>`;

export const VIEWER_PAGE = `<!doctype html><title>liveview viewer</title><canvas id="c"></canvas>
<script>
  window.frames_ = 0; window.changes = []; window.sent = [];
  const c = document.getElementById('c'); const g = c.getContext('2d', { willReadFrequently: true });
  let last = '', busy = false;
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/v1/recordings/' + location.hash.slice(1) + '/live');
  ws.binaryType = 'arraybuffer';
  window.ready = new Promise((ok, fail) => { ws.addEventListener('open', () => ok(true)); ws.addEventListener('close', (e) => fail(new Error('live view closed: ' + e.code + ' ' + e.reason))); });
  ws.onmessage = async (ev) => {
    if (typeof ev.data === 'string') return;
    window.frames_++;
    if (busy) return;
    busy = true;
    const bmp = await createImageBitmap(new Blob([ev.data], { type: 'image/jpeg' }));
    c.width = bmp.width; c.height = bmp.height; g.drawImage(bmp, 0, 0);
    const [r, , b] = g.getImageData(Math.floor(bmp.width / 4), Math.floor(bmp.height / 4), 1, 1).data;
    const color = r > 150 && b < 100 ? 'red' : b > 150 && r < 100 ? 'blue' : '';
    if (color && color !== last) { last = color; window.changes.push({ color, t: Date.now() }); }
    busy = false;
  };
  window.press = (key) => { window.sent.push({ key, t: Date.now() }); ws.send(JSON.stringify({ type: 'key', action: 'down', key })); ws.send(JSON.stringify({ type: 'key', action: 'up', key })); };
</script>`;
