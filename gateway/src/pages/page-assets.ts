import { createHash } from 'node:crypto';

/**
 * The hosted page's stylesheet and script, served by the pages router from memory under content-hashed
 * names (cached for a year, never stale). Nothing comes from a CDN: self-hosted installs may be offline,
 * and the page's Content-Security-Policy allows scripts and styles from its own origin only.
 */
const STYLES = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Hiragino Sans","Noto Sans JP","Noto Sans CJK JP",sans-serif;
  font-size:17px;line-height:1.5;color:#1d2430;background:#eef1f5}
.page{max-width:480px;margin:0 auto;padding:12px 14px 32px}
.top{display:flex;align-items:center;justify-content:space-between;gap:8px;padding:6px 2px 12px;flex-wrap:wrap}
.brand{font-weight:700;font-size:1.05rem;overflow-wrap:anywhere}
.lang{display:flex;gap:4px}
.lang a{display:inline-flex;align-items:center;min-height:44px;padding:0 12px;border-radius:22px;color:#2f4a7a;text-decoration:none;font-size:.95rem}
.lang a[aria-current="true"]{background:#dfe6f2;font-weight:600}
.summary{background:#fff;border-radius:14px;padding:12px 16px;margin-bottom:12px;box-shadow:0 1px 2px rgba(20,30,50,.08)}
.summary dl{margin:0;display:flex;justify-content:space-between;gap:12px;flex-wrap:wrap}
.summary dt{font-size:.8rem;color:#5b6678;text-transform:uppercase;letter-spacing:.04em}
.summary dd{margin:0;overflow-wrap:anywhere}
.summary .price{font-size:1.6rem;font-weight:700}
.panel{background:#fff;border-radius:14px;padding:18px 16px;box-shadow:0 1px 2px rgba(20,30,50,.08);border-top:6px solid #8da2c4}
.panel.tone-good{border-top-color:#1f9d55}
.panel.tone-bad{border-top-color:#c53030}
.panel.tone-wait{border-top-color:#d69e2e}
.state-title{font-size:1.35rem;margin:0 0 10px}
.asset-form{display:grid;gap:10px;margin:6px 0 10px}
.asset-choice{display:flex;justify-content:space-between;align-items:center;width:100%;min-height:56px;padding:10px 16px;
  border:2px solid #c9d3e3;border-radius:12px;background:#f7f9fc;font:inherit;font-weight:600;color:#1d2430;cursor:pointer;text-align:left}
.asset-choice:hover,.asset-choice:focus-visible{border-color:#2f6fde;background:#eef4ff}
.asset-code{color:#5b6678;font-weight:500}
.qr{width:100%;max-width:264px;margin:0 auto 14px;background:#fff}
.qr svg{display:block;width:100%;height:auto}
.button{display:flex;align-items:center;justify-content:center;width:100%;min-height:52px;padding:10px 16px;border-radius:12px;
  border:0;font:inherit;font-weight:700;text-decoration:none;cursor:pointer}
.button.primary{background:#2f6fde;color:#fff}
.button.primary:hover,.button.primary:focus-visible{background:#2159ba}
.field{margin:14px 0 0}
.label{display:block;font-size:.8rem;color:#5b6678;text-transform:uppercase;letter-spacing:.04em;margin-bottom:4px}
.value-row{display:flex;align-items:center;gap:8px;background:#f3f5f9;border-radius:10px;padding:6px 6px 6px 12px}
.value{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:1rem;overflow-wrap:anywhere;word-break:break-all}
.value-row .value{flex:1 1 auto;min-width:0}
.amount{font-size:1.2rem;font-weight:700}
.unit{color:#5b6678;font-weight:600}
.copy{flex:0 0 auto;min-width:64px;min-height:44px;padding:0 12px;border:1px solid #c9d3e3;border-radius:10px;background:#fff;
  font:inherit;font-size:.9rem;font-weight:600;color:#2f4a7a;cursor:pointer}
.copy.done{background:#1f9d55;border-color:#1f9d55;color:#fff}
.hint{font-size:.9rem;color:#5b6678;margin:12px 0 0}
.countdown{margin:14px 0 0;font-size:1rem}
.countdown strong{font-variant-numeric:tabular-nums;font-size:1.15rem}
.time-up{font-weight:600;color:#975a16}
.notice{background:#fff8e6;border:1px solid #f0d58c;border-radius:10px;padding:10px 12px;margin-bottom:14px}
.notice p{margin:4px 0 0}
.note{background:#f3f5f9;border-radius:10px;padding:10px 12px}
.txs{list-style:none;margin:0;padding:0;display:grid;gap:6px}
.txs li{background:#f3f5f9;border-radius:10px;padding:8px 12px}
.txs .txid{display:block;font-size:.85rem}
.confs{font-size:.85rem;color:#5b6678}
.tick{width:64px;height:64px;border-radius:50%;background:#1f9d55;margin:4px auto 12px;position:relative}
.tick::after{content:"";position:absolute;left:22px;top:12px;width:16px;height:30px;border:solid #fff;border-width:0 6px 6px 0;transform:rotate(45deg)}
.spinner{width:44px;height:44px;border-radius:50%;border:5px solid #f3e2b8;border-top-color:#d69e2e;margin:4px auto 12px;animation:spin 1s linear infinite}
@keyframes spin{to{transform:rotate(360deg)}}
@media (prefers-reduced-motion:reduce){.spinner{animation:none}}
.live{font-size:.85rem;color:#5b6678;text-align:center;margin:14px 0 0}
.live.warn{color:#975a16;font-weight:600}
.message{text-align:center}
[hidden]{display:none!important}
`;

const SCRIPT = `(function () {
  'use strict';
  var page = document.getElementById('page');
  if (!page) return;

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function formatCountdown(ms) {
    var total = Math.max(0, Math.ceil(ms / 1000));
    var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    return h > 0 ? h + ':' + pad(m) + ':' + pad(s) : m + ':' + pad(s);
  }

  /* Countdowns count from when their markup arrived, so the shopper's clock does not matter. */
  function tick() {
    var nodes = document.querySelectorAll('[data-countdown-ms]');
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      if (!el.coinstileStartedAt) el.coinstileStartedAt = Date.now();
      var left = Number(el.getAttribute('data-countdown-ms')) - (Date.now() - el.coinstileStartedAt);
      el.textContent = formatCountdown(left);
      if (left <= 0) {
        var panel = el.closest('[data-kind]');
        if (panel) {
          var until = panel.querySelectorAll('[data-until-expired]');
          for (var j = 0; j < until.length; j++) until[j].hidden = true;
          var when = panel.querySelectorAll('[data-when-expired]');
          for (var k = 0; k < when.length; k++) when[k].hidden = false;
        }
        /* The live stream normally brings the next view; if it has not within 5 s, load it. */
        if (!el.coinstileReloadAt) {
          el.coinstileReloadAt = Date.now() + 5000;
          setTimeout(function (node) { return function () { if (document.contains(node)) location.reload(); }; }(el), 5000);
        }
      }
    }
  }
  tick();
  setInterval(tick, 1000);

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return copyWithSelection(text); });
    }
    return copyWithSelection(text);
  }
  function copyWithSelection(text) {
    return new Promise(function (resolve, reject) {
      var area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.style.position = 'fixed';
      area.style.top = '-1000px';
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      document.body.removeChild(area);
      if (ok) resolve(); else reject(new Error('copy failed'));
    });
  }
  document.addEventListener('click', function (event) {
    var target = event.target;
    var button = target && target.closest ? target.closest('[data-copy]') : null;
    if (!button) return;
    var label = button.textContent;
    copyText(button.getAttribute('data-copy') || '').then(function () {
      button.textContent = button.getAttribute('data-copied') || label;
      button.classList.add('done');
      setTimeout(function () { button.textContent = label; button.classList.remove('done'); }, 2000);
    }, function () { /* the value stays selectable on the page */ });
  });

  /* Live status: the server renders each new state; the page swaps it in without a reload. */
  var eventsUrl = page.getAttribute('data-events');
  var status = document.getElementById('live-status');
  if (!eventsUrl || !window.EventSource) return;
  var finished = false;
  function showReconnecting(on) {
    if (!status) return;
    status.textContent = on ? status.getAttribute('data-reconnecting') : status.getAttribute('data-live');
    status.classList.toggle('warn', on);
    status.hidden = false;
  }
  function connect() {
    var source = new EventSource(eventsUrl);
    source.addEventListener('open', function () { showReconnecting(false); });
    source.addEventListener('checkout', function (event) {
      var data = JSON.parse(event.data);
      var main = document.getElementById('checkout');
      if (main) {
        main.innerHTML = data.html;
        main.setAttribute('data-state', data.key);
      }
      if (data.title) document.title = data.title;
      tick();
      if (data.final) {
        finished = true;
        source.close();
        if (status) status.hidden = true;
      }
    });
    source.addEventListener('error', function () {
      if (finished) return;
      if (source.readyState === EventSource.CLOSED) {
        /* Refused (too many connections, server restart): try again later with a fresh connection. */
        showReconnecting(true);
        setTimeout(connect, 15000);
      } else {
        showReconnecting(true);
      }
    });
  }
  connect();
})();
`;

export interface PageAsset {
  readonly path: string;
  readonly contentType: string;
  readonly body: string;
}

function asset(name: string, ext: 'css' | 'js', contentType: string, body: string): PageAsset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { path: `/pay/assets/${name}.${hash}.${ext}`, contentType, body };
}

export const HOSTED_PAGE_STYLES: PageAsset = asset('hosted-page', 'css', 'text/css; charset=utf-8', STYLES);
export const HOSTED_PAGE_SCRIPT: PageAsset = asset('hosted-page', 'js', 'text/javascript; charset=utf-8', SCRIPT);
