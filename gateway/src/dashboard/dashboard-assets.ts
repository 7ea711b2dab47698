import { hashedAsset } from '../http/server-pages';

/**
 * The dashboard's stylesheet and script, served from memory under content-hashed names (the CSP allows
 * this origin's files only; nothing from a CDN, installs may be offline).
 */
const STYLES = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Hiragino Sans","Noto Sans JP","Noto Sans CJK JP",sans-serif;
  font-size:15px;line-height:1.45;color:#1d2430;background:#eef1f5}
a{color:#2159ba}
.top{display:flex;flex-wrap:wrap;align-items:center;gap:4px 12px;padding:8px 14px;background:#1d2430;color:#fff}
.brand{font-weight:700;margin-right:8px}
.top nav{display:flex;flex-wrap:wrap;gap:2px;flex:1 1 auto}
.top nav a,.top .lang a{color:#dfe6f2;text-decoration:none;padding:8px 10px;border-radius:8px;min-height:40px;display:inline-flex;align-items:center}
.top nav a[aria-current="page"]{background:#39465c;color:#fff;font-weight:600}
.top .lang a[aria-current="true"]{font-weight:700;color:#fff}
.top form{margin:0}
.link-button{background:none;border:1px solid #5b6678;color:#dfe6f2;border-radius:8px;padding:7px 10px;font:inherit;cursor:pointer;min-height:40px}
main{max-width:1200px;margin:0 auto;padding:14px}
h1{font-size:1.3rem;margin:4px 0 12px}
h2{font-size:1.1rem;margin:22px 0 8px}
.card{background:#fff;border-radius:12px;padding:12px;box-shadow:0 1px 2px rgba(20,30,50,.08);margin-bottom:14px;overflow-x:auto}
.stages{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,160px),1fr));gap:10px;margin-bottom:14px}
.stage{background:#fff;border-radius:12px;padding:10px 12px;box-shadow:0 1px 2px rgba(20,30,50,.08);border-left:6px solid #8da2c4}
.stage.busy{border-left-color:#d69e2e}
.stage.bad{border-left-color:#c53030}
.stage .name{font-size:.85rem;color:#5b6678}
.stage .name{min-height:2.5em}
.stage .count{font-size:1.8rem;font-weight:700;font-variant-numeric:tabular-nums}
.stage .age{font-size:.9rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e3e8ef;vertical-align:top}
th{font-size:.78rem;color:#5b6678;text-transform:uppercase;letter-spacing:.03em;white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem;overflow-wrap:anywhere;word-break:break-all}
.reason{max-width:420px;overflow-wrap:anywhere;color:#8a1f1f}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;background:#e3e8ef;font-size:.8rem;white-space:nowrap}
.badge.settled,.badge.paid,.badge.succeeded{background:#d4f2df}
.badge.failed,.badge.invalid,.badge.returned{background:#fbd5d5}
.badge.processing,.badge.pending,.badge.sent,.badge.scheduled,.badge.reserved{background:#fdefc8}
button,.button{white-space:nowrap;font:inherit;min-height:40px;padding:6px 14px;border-radius:8px;border:1px solid #2f6fde;background:#2f6fde;color:#fff;cursor:pointer;font-weight:600}
button.secondary{background:#fff;color:#2159ba}
.inline{display:inline-flex;gap:6px;flex-wrap:wrap;align-items:center;margin:0}
.inline input{width:10em;min-width:0}
.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-end}
.filters label{display:flex;flex-direction:column;font-size:.8rem;color:#5b6678;gap:2px}
input,select{font:inherit;min-height:40px;padding:6px 8px;border:1px solid #c9d3e3;border-radius:8px;background:#fff;max-width:100%}
.flash{background:#d4f2df;border-radius:10px;padding:10px 12px;margin-bottom:12px}
.error{background:#fbd5d5;border-radius:10px;padding:10px 12px;margin-bottom:12px}
.muted{color:#5b6678;font-size:.85rem}
.pager{display:flex;justify-content:space-between;margin-top:10px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));gap:14px}
.charts .card{margin:0}
.card h2:first-child{margin-top:0}
figure{margin:0 0 10px}
figcaption{font-weight:600}
.chart{width:100%;height:auto;display:block}
.legend{display:flex;flex-wrap:wrap;gap:10px;font-size:.85rem;margin-top:6px}
.swatch{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:4px;vertical-align:-1px;background:#2f6fde}
.swatch[data-colour="1"]{background:#d97706}.swatch[data-colour="2"]{background:#1f9d55}.swatch[data-colour="3"]{background:#c53030}.swatch[data-colour="4"]{background:#7c3aed}.swatch[data-colour="5"]{background:#0e7490}
.signin{max-width:420px;margin:40px auto;background:#fff;border-radius:14px;padding:20px;box-shadow:0 1px 2px rgba(20,30,50,.08)}
.signin input{width:100%;margin:6px 0 14px}
.signin button{width:100%}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:0}
dl.facts dt{color:#5b6678;font-size:.85rem}
dl.facts dd{margin:0;overflow-wrap:anywhere}
@media (max-width:640px){
  main{padding:10px}
  .hide-narrow{display:none}
  th,td{padding:6px 5px}
}
`;

/** Reloads the marked region every 10 s while the tab is visible and nothing in it has focus. */
const SCRIPT = `(function(){
  var region=document.querySelector('[data-autorefresh]');
  if(!region||!window.fetch||!window.DOMParser)return;
  setInterval(function(){
    if(document.hidden)return;
    var active=document.activeElement;
    if(active&&region.contains(active)&&active.tagName!=='BODY'&&active.tagName!=='BUTTON')return;
    fetch(location.href,{credentials:'same-origin',headers:{'Accept':'text/html'}}).then(function(r){
      if(!r.ok||r.redirected)return null;return r.text();
    }).then(function(text){
      if(!text)return;
      var next=new DOMParser().parseFromString(text,'text/html').querySelector('[data-autorefresh]');
      if(next)region.innerHTML=next.innerHTML;
    }).catch(function(){});
  },10000);
})();
`;

export const DASHBOARD_STYLES = hashedAsset('dashboard', 'css', STYLES, 'text/css; charset=utf-8');
export const DASHBOARD_SCRIPT = hashedAsset('dashboard', 'js', SCRIPT, 'text/javascript; charset=utf-8');
