import { type GatewayHarness, OPERATOR_TOKEN } from '../../support/gateway-harness';

export interface PortalResponse {
  readonly status: number;
  readonly location: string;
  readonly text: string;
  readonly setCookies: readonly string[];
}

/** The portal's cookie name. */
export const PORTAL_COOKIE = 'coinstile_store';

/**
 * A browser-like HTTP client of the portal: keeps the session cookie it is given, sends forms
 * url-encoded, follows no redirects (tests look at them).
 */
export class PortalClient {
  cookie: string | undefined;

  constructor(private readonly baseUrl: string) {}

  async request(method: 'GET' | 'POST', path: string, form?: Record<string, string | readonly string[]>, headers: Record<string, string> = {}): Promise<PortalResponse> {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(form ?? {})) for (const v of typeof value === 'string' ? [value] : value) body.append(name, v);
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(this.cookie === undefined ? {} : { cookie: `${PORTAL_COOKIE}=${this.cookie}` }),
        ...(form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
        ...headers,
      },
      ...(form === undefined ? {} : { body: body.toString() }),
    });
    const setCookies = res.headers.getSetCookie();
    for (const c of setCookies) {
      const match = new RegExp(`^${PORTAL_COOKIE}=([^;]*)`).exec(c);
      if (match) this.cookie = match[1] === '' ? undefined : match[1];
    }
    return { status: res.status, location: res.headers.get('location') ?? '', text: await res.text(), setCookies };
  }

  get(path: string): Promise<PortalResponse> {
    return this.request('GET', path);
  }

  /** Signs in; throws unless the portal answers 303 to the orders inbox. */
  async signIn(email: string, password: string): Promise<PortalResponse> {
    const res = await this.request('POST', '/store/sign-in', { email, password });
    if (res.status !== 303 || !res.location.startsWith('/store/orders')) throw new Error(`sign-in ${res.status} ${res.text.slice(0, 300)}`);
    return res;
  }

  /** The CSRF token in a page the session rendered. */
  async csrfToken(path = '/store/orders'): Promise<string> {
    const page = await this.get(path);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
    if (token === undefined) throw new Error(`no CSRF token on ${path} (${page.status})`);
    return token;
  }
}

/** The token at the end of an invitation URL. */
export function invitationPath(url: string): string {
  return new URL(url).pathname;
}

/** Invites `email` to `storeId` through the operator API and sets `password` on the invitation page. */
export async function inviteAndActivate(h: GatewayHarness, storeId: string, email: string, role: 'owner' | 'staff', password: string): Promise<void> {
  const invited = await h.request('POST', `/v1/stores/${storeId}/users`, { token: OPERATOR_TOKEN, body: { email, role } });
  if (invited.status !== 201) throw new Error(`invite ${invited.status} ${invited.text}`);
  const accepted = await new PortalClient(h.url).request('POST', invitationPath(invited.body.invitationUrl as string), { password, confirm: password });
  if (accepted.status !== 303) throw new Error(`accept ${accepted.status} ${accepted.text.slice(0, 300)}`);
}
