import { DASHBOARD_STYLES } from '../dashboard/dashboard-assets';
import { hashedAsset } from '../http/server-pages';

/** The portal's additions to the dashboard's stylesheet (the same look, phone-first layout). */
const PORTAL_STYLES = `
.store-name{color:#dfe6f2;font-size:.9rem}
.live{display:inline-flex;align-items:center;gap:6px}
.live::before{content:"";width:9px;height:9px;border-radius:50%;background:#8da2c4}
.live[data-state="open"]::before{background:#1f9d55}
tr.fresh{animation:fresh 3s ease-out}
@keyframes fresh{from{background:#fdefc8}to{background:transparent}}
.once{background:#fdefc8;border-radius:10px;padding:10px 12px;margin-bottom:12px}
.once code{display:block;margin-top:6px;font-size:.95rem;overflow-wrap:anywhere;word-break:break-all;user-select:all}
.warn{background:#fdefc8;border-radius:8px;padding:4px 8px;display:inline-block}
.bad{background:#fbd5d5;border-radius:8px;padding:4px 8px;display:inline-block}
.stack{display:flex;flex-direction:column;gap:8px;max-width:520px}
.stack label{display:flex;flex-direction:column;gap:2px;font-size:.85rem;color:#5b6678}
.checks{display:flex;flex-wrap:wrap;gap:4px 14px}
.checks label{flex-direction:row;align-items:center;gap:6px;color:#1d2430}
textarea{font:inherit;width:100%;min-height:6em;border:1px solid #c9d3e3;border-radius:8px;padding:6px 8px}
pre.response{white-space:pre-wrap;overflow-wrap:anywhere;max-height:12em;overflow:auto;margin:0;font-size:.8rem}
.tabs{display:flex;flex-wrap:wrap;gap:6px;margin-bottom:10px}
.tabs a{padding:6px 10px;border-radius:8px;background:#fff;text-decoration:none}
.tabs a[aria-current="page"]{background:#2f6fde;color:#fff}
@media print{.top,.no-print,form{display:none!important}body{background:#fff}.card{box-shadow:none;padding:0}main{max-width:none}}
`;

/**
 * Keeps the orders inbox live: an EventSource on the URL in `data-inbox-stream` adds each released order's
 * row (sent rendered by the server) at the top, once. Also the statement's print button (no inline script
 * under the CSP).
 */
const PORTAL_SCRIPT = `(function(){
  var print=document.querySelector('[data-print]');
  if(print)print.addEventListener('click',function(){window.print();});
  var inbox=document.querySelector('[data-inbox-stream]');
  if(!inbox||!window.EventSource)return;
  var body=inbox.querySelector('tbody');
  var status=document.querySelector('[data-live-status]');
  var empty=document.querySelector('[data-inbox-empty]');
  var source=new EventSource(inbox.getAttribute('data-inbox-stream'));
  source.addEventListener('open',function(){if(status)status.setAttribute('data-state','open');});
  source.addEventListener('error',function(){if(status)status.setAttribute('data-state','closed');});
  source.addEventListener('order',function(e){
    var order;try{order=JSON.parse(e.data);}catch(_){return;}
    if(!order||typeof order.checkoutId!=='string'||typeof order.html!=='string')return;
    if(body.querySelector('tr[data-checkout-id="'+order.checkoutId+'"]'))return;
    var holder=document.createElement('tbody');
    holder.innerHTML=order.html;
    var row=holder.firstElementChild;
    if(!row)return;
    row.classList.add('fresh');
    body.insertBefore(row,body.firstElementChild);
    inbox.hidden=false;
    if(empty)empty.hidden=true;
  });
})();
`;

export const PORTAL_STYLESHEET = hashedAsset('portal', 'css', DASHBOARD_STYLES.body + PORTAL_STYLES, 'text/css; charset=utf-8');
export const PORTAL_SCRIPT_ASSET = hashedAsset('portal', 'js', PORTAL_SCRIPT, 'text/javascript; charset=utf-8');
