import { html, type SafeHtml } from './html';
import { LOCALES, type Locale } from './locale';
import { messagesFor } from './messages';
import { HOSTED_PAGE_SCRIPT, HOSTED_PAGE_STYLES } from './page-assets';

/**
 * Sent with every page: only this origin's script and stylesheet run, the QR is inline SVG, the live
 * stream is same-origin, forms post back here only, and no other site may frame the page (clickjacking).
 */
export const HOSTED_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface ShellOptions {
  readonly locale: Locale;
  readonly title: string;
  /** Shown at the top, e.g. "Pay Kobe Tea House". */
  readonly heading: string;
  /** The page's own path without `lang`, for the language links. */
  readonly selfPath: string;
  readonly main: SafeHtml;
  /** The state key of `main`; with `eventsUrl` the page follows the checkout live. */
  readonly stateKey?: string;
  readonly eventsUrl?: string;
}

function languageLinks(selfPath: string, current: Locale): SafeHtml {
  const separator = selfPath.includes('?') ? '&' : '?';
  return html`<nav class="lang" aria-label="${messagesFor(current).switchLanguage}">${LOCALES.map(
    (locale) =>
      html`<a href="${selfPath}${separator}lang=${locale}" lang="${locale}" hreflang="${locale}" aria-current="${locale === current ? 'true' : 'false'}" data-testid="lang-${locale}">${messagesFor(locale).languageName}</a>`,
  )}</nav>`;
}

/** A whole hosted page around `main`. */
export function renderShell(options: ShellOptions): string {
  const m = messagesFor(options.locale);
  const live =
    options.eventsUrl === undefined
      ? null
      : html`<p class="live" id="live-status" role="status" data-live="${m.liveUpdates}" data-reconnecting="${m.reconnecting}" hidden></p>
<noscript><p class="live">${m.noscript}</p></noscript>`;
  const events =
    options.eventsUrl === undefined ? '' : `${options.eventsUrl}&since=${encodeURIComponent(options.stateKey ?? '')}`;
  return html`<!doctype html>
<html lang="${options.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<meta name="robots" content="noindex, nofollow">
<title>${options.title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${HOSTED_PAGE_STYLES.path}">
<script src="${HOSTED_PAGE_SCRIPT.path}" defer></script>
</head>
<body>
<div class="page" id="page"${options.eventsUrl === undefined ? null : html` data-events="${events}"`}>
<header class="top"><span class="brand" data-testid="heading">${options.heading}</span>${languageLinks(options.selfPath, options.locale)}</header>
<main id="checkout" aria-live="polite"${options.stateKey === undefined ? null : html` data-state="${options.stateKey}"`}>
${options.main}
</main>
${live}
</div>
</body>
</html>
`.value;
}

/** A page that only explains something (not found, bad link, a refused action), with an optional way back. */
export function renderMessagePage(options: {
  locale: Locale;
  title: string;
  body: string;
  selfPath: string;
  back?: { href: string; label: string };
}): string {
  const main = html`<section class="panel tone-bad message" data-testid="message">
  <h1 class="state-title">${options.title}</h1>
  <p>${options.body}</p>
  ${options.back === undefined ? null : html`<a class="button primary" href="${options.back.href}" data-testid="back">${options.back.label}</a>`}
</section>`;
  return renderShell({ locale: options.locale, title: options.title, heading: 'Coinstile', selfPath: options.selfPath, main });
}
