import { sql } from 'kysely';
import { hashOperatorToken } from '../../src';
import { QueueDepthSampler, readQueueDepthSamples } from '../../src/dashboard';
import { failOneJob, OPERATOR_TOKEN, type DashboardHarness, type SeededData, seedDashboardData, startDashboardHarness } from './support/dashboard-harness';

let harness: DashboardHarness;
let seeded: SeededData;
let failedJobId: string;

beforeAll(async () => {
  harness = await startDashboardHarness({ publicUrl: 'https://pay.example.test', failedSignInsPerMinute: 12 });
  seeded = await seedDashboardData(harness.runtime, 55);
  failedJobId = await failOneJob(harness.releaseQueue, harness.runtime.redisUrl, 'ledger refused: store payable account missing');
}, 120_000);

afterAll(async () => {
  await harness?.stop();
});

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

async function request(method: string, path: string, opts: { cookie?: string; form?: Record<string, string>; bearer?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.cookie) headers['cookie'] = opts.cookie;
  if (opts.bearer) headers['authorization'] = `Bearer ${opts.bearer}`;
  let body: string | undefined;
  if (opts.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  }
  const res = await fetch(`${harness.url}${path}`, { method, headers, redirect: 'manual', ...(body === undefined ? {} : { body }) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function signIn(): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const res = await request('POST', '/dashboard/sign-in', { form: { token: OPERATOR_TOKEN, next: '/dashboard/' } });
  expect(res.status).toBe(303);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0] ?? '';
  const page = await request('GET', '/dashboard/', { cookie });
  expect(page.status).toBe(200);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
  if (csrf === undefined) throw new Error('no CSRF token on the page');
  return { cookie, csrf, setCookie };
}

describe('sign-in', () => {
  it('redirects an unauthenticated browser to the sign-in form, keeping where it wanted to go', async () => {
    const res = await request('GET', '/dashboard/payouts?status=failed');
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location') ?? '', harness.url);
    expect(location.pathname).toBe('/dashboard/sign-in');
    expect(location.searchParams.get('next')).toBe('/dashboard/payouts?status=failed');
    const form = await request('GET', `${location.pathname}${location.search}`);
    expect(form.status).toBe(200);
    expect(form.text).toContain('name="token"');
    expect(form.text).toContain('value="/dashboard/payouts?status=failed"');
  });

  it('refuses a wrong token and sets no cookie', async () => {
    const res = await request('POST', '/dashboard/sign-in', { form: { token: 'cso_not-the-token', next: '/dashboard/' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.text).toContain('not a valid operator token');
    const empty = await request('POST', '/dashboard/sign-in', { form: { next: '/dashboard/' } });
    expect(empty.status).toBe(401);
  });

  it('accepts the operator token: an HttpOnly, SameSite=Strict, Secure session cookie that opens the dashboard', async () => {
    const { cookie, setCookie } = await signIn();
    expect(setCookie).toMatch(/^coinstile_dashboard=[A-Za-z0-9_-]{43}; Path=\/dashboard; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$/);
    // Only the hash of the session id is in Redis.
    const sessionId = cookie.split('=')[1] ?? '';
    const keys = await harness.runtime.redis.keys('coinstile:dashboard:session:*');
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.some((k) => k.includes(sessionId))).toBe(false);
    const page = await request('GET', '/dashboard/', { cookie });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('cache-control')).toBe('no-store');
  });

  it('never redirects off the dashboard after sign-in', async () => {
    for (const next of ['https://evil.example/', '//evil.example/', '/v1/stores']) {
      const res = await request('POST', '/dashboard/sign-in', { form: { token: OPERATOR_TOKEN, next } });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/dashboard/');
    }
  });

  it('signs out: the cookie is cleared and the session no longer works', async () => {
    const { cookie, csrf } = await signIn();
    const out = await request('POST', '/dashboard/sign-out', { cookie, form: { _csrf: csrf } });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    const after = await request('GET', '/dashboard/', { cookie });
    expect(after.status).toBe(303);
  });

  it('ends the sessions of a revoked operator token', async () => {
    const token = 'cso_second-operator-token-for-revocation';
    await sql`INSERT INTO operator_tokens (id, token_hash, label) VALUES ('opt_01M7YJ5YNWS0BNZYJAWACABAVP', ${hashOperatorToken(token)}, 'second')`.execute(harness.runtime.db.kysely);
    const res = await request('POST', '/dashboard/sign-in', { form: { token, next: '/dashboard/' } });
    expect(res.status).toBe(303);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect((await request('GET', '/dashboard/', { cookie })).status).toBe(200);
    await sql`UPDATE operator_tokens SET revoked_at = now() WHERE id = 'opt_01M7YJ5YNWS0BNZYJAWACABAVP'`.execute(harness.runtime.db.kysely);
    expect((await request('GET', '/dashboard/', { cookie })).status).toBe(303);
  });

  it('takes the operator token as a bearer token for scripts, and refuses a wrong one with 401', async () => {
    const ok = await request('GET', '/dashboard/checkouts', { bearer: OPERATOR_TOKEN });
    expect(ok.status).toBe(200);
    const wrong = await request('GET', '/dashboard/checkouts', { bearer: 'cso_wrong' });
    expect(wrong.status).toBe(401);
  });
});

describe('pages', () => {
  let cookie: string;
  beforeAll(async () => {
    ({ cookie } = await signIn());
  });

  it('settlement queue: every stage with its count and oldest waiting age, the queues, the failed job with its reason', async () => {
    const res = await request('GET', '/dashboard/?lang=en', { cookie });
    expect(res.status).toBe(200);
    const count = (stage: string) => new RegExp(`data-testid="count-${stage}">(\\d+)<`).exec(res.text)?.[1];
    const age = (stage: string) => new RegExp(`data-testid="age-${stage}">([^<]+)<`).exec(res.text)?.[1];
    expect(count('checkouts_processing')).toBe('1');
    expect(age('checkouts_processing')).toMatch(/^2h 0m$/);
    expect(count('checkouts_settled_unreleased')).toBe('1');
    expect(age('checkouts_settled_unreleased')).toMatch(/^(29|30)m \d+s$/);
    expect(count('payouts_failed')).toBe('1');
    expect(count('payouts_sent')).toBe('1');
    expect(count('payouts_scheduled')).toBe('1');
    expect(count('payouts_reserved')).toBe('0');
    expect(age('payouts_reserved')).toBe('—');
    expect(count('webhooks_failing')).toBe('1');
    expect(age('webhooks_failing')).toMatch(/^(44|45)m \d+s$/);
    expect(res.text).toContain('data-testid="queue-release-order"');
    expect(res.text).toContain('data-testid="queue-webhook-fanout"');
    expect(/data-testid="queue-release-order-failed">(\d+)</.exec(res.text)?.[1]).toBe('1');
    expect(res.text).toContain(`data-job-id="${failedJobId}"`);
    expect(res.text).toContain('ledger refused: store payable account missing');
    expect(res.text).toContain('Account closed (AC04)');
    expect(res.text).toContain(seeded.failedPayoutId);
    expect(res.text).toContain(seeded.sentPayoutId);
  });

  it('gives scripts the same snapshot as JSON', async () => {
    const res = await request('GET', '/dashboard/queue.json', { bearer: OPERATOR_TOKEN });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text) as { stages: { stage: string; count: number; oldestAgeMs: number | null }[]; queues: { queue: string; failed: number }[]; failedJobs: { jobId: string; failedReason: string }[] };
    expect(body.stages.find((s) => s.stage === 'checkouts_processing')).toEqual({ stage: 'checkouts_processing', count: 1, oldestAgeMs: expect.any(Number) });
    expect(body.stages.find((s) => s.stage === 'checkouts_processing')?.oldestAgeMs).toBeGreaterThanOrEqual(120 * 60_000);
    expect(body.queues.find((q) => q.queue === 'release-order')?.failed).toBe(1);
    expect(body.failedJobs).toEqual([expect.objectContaining({ jobId: failedJobId, failedReason: 'ledger refused: store payable account missing' })]);
    expect((await request('GET', '/dashboard/queue.json')).status).toBe(401);
  });

  it('speaks Japanese', async () => {
    const res = await request('GET', '/dashboard/?lang=ja', { cookie });
    expect(res.status).toBe(200);
    expect(res.text).toContain('<html lang="ja">');
    expect(res.text).toContain('承認待ちのチェックアウト');
    expect(/data-testid="age-checkouts_processing">([^<]+)</.exec(res.text)?.[1]).toBe('2時間 0分');
  });

  it('checkouts: filters by status and store, and pages by keyset without overlap or gaps', async () => {
    const all = await request('GET', '/dashboard/checkouts', { cookie });
    expect(all.status).toBe(200);
    const ids = (text: string) => [...text.matchAll(/<tr data-testid="checkout-row" data-status="[a-z]+"><td class="mono"><a href="[^"]+">(co_[^<]+)</g)].map((m) => m[1]);
    const first = ids(all.text);
    expect(first).toHaveLength(50);
    const next = /data-testid="next-page"/.test(all.text) ? /href="([^"]+)" data-testid="next-page"/.exec(all.text)?.[1]?.replaceAll('&amp;', '&') : undefined;
    expect(next).toBeDefined();
    const second = await request('GET', next ?? '', { cookie });
    const rest = ids(second.text);
    expect(rest).toHaveLength(55 + 5 - 50);
    expect(new Set([...first, ...rest]).size).toBe(60);
    expect(second.text).not.toContain('data-testid="next-page"');

    const settled = await request('GET', `/dashboard/checkouts?status=settled&store=${seeded.storeId}`, { cookie });
    expect(ids(settled.text).sort()).toEqual([seeded.unreleasedId, ...seeded.releasedIds].sort());
    const future = await request('GET', '/dashboard/checkouts?from=2999-01-01', { cookie });
    expect(future.text).toContain('data-testid="no-rows"');
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const dated = await request('GET', `/dashboard/checkouts?status=processing&from=${yesterday}&to=${today}`, { cookie });
    expect(ids(dated.text)).toEqual([seeded.processingId]);
  });

  it('refuses bad filters with a 400 page, never a 500', async () => {
    for (const query of ['status=bogus', 'store=nope', 'from=21-11-2026', 'cursor=co_', 'status=new&status=settled']) {
      const res = await request('GET', `/dashboard/checkouts?${query}`, { cookie });
      expect(res.status).toBe(400);
      expect(res.text).toContain('data-testid="message"');
    }
    expect((await request('GET', '/dashboard/checkouts/co_00000000000000000000000000', { cookie })).status).toBe(404);
    expect((await request('GET', '/dashboard/checkouts/not-an-id', { cookie })).status).toBe(400);
  });

  it('checkout detail: payments, release, payout, outbox events and webhook deliveries', async () => {
    const id = seeded.releasedIds[0] ?? '';
    const res = await request('GET', `/dashboard/checkouts/${id}`, { cookie });
    expect(res.status).toBe(200);
    expect(res.text).toContain('data-testid="payments"');
    expect(res.text).toContain('0.415 LTC');
    expect(res.text).toContain('order.released');
    expect(res.text).toContain('https://shop.example.test/hooks');
    expect(res.text).toContain(seeded.failedPayoutId);
    expect(/data-testid="released-at">(\d{4}-[^<]+)</.test(res.text)).toBe(true);
  });

  it('payouts: list and status filter', async () => {
    const res = await request('GET', '/dashboard/payouts', { cookie });
    expect(res.status).toBe(200);
    expect(res.text.match(/data-testid="payout-row"/g)).toHaveLength(3);
    const failed = await request('GET', '/dashboard/payouts?status=failed', { cookie });
    expect(failed.text.match(/data-testid="payout-row"/g)).toHaveLength(1);
    expect(failed.text).toContain('Account closed (AC04)');
  });

  it('charts: hourly settled volume, queue depth from the sampler, detection-latency histogram', async () => {
    // The sampler runs every 500 ms in this harness.
    await new Promise((r) => setTimeout(r, 1200));
    const res = await request('GET', '/dashboard/charts', { cookie });
    expect(res.status).toBe(200);
    expect(res.text).toContain('data-testid="volume-JPY"');
    // 12,000 + 4,980 + 5,980 + 6,980 yen settled in the last 24 h.
    expect(res.text).toContain('JPY: ¥29,940');
    expect(res.text.match(/<svg class="chart"/g)?.length).toBe(3);
    expect(res.text).toContain('<polyline');
    expect(res.text).toMatch(/data-testid="latency-summary">n=4 · median /);
  });

  it('system: FX sources and chain tips', async () => {
    const res = await request('GET', '/dashboard/system', { cookie });
    expect(res.status).toBe(200);
    expect(res.text).toContain('data-testid="fx-source"');
    expect(res.text).toContain('static');
    expect(res.text).toContain('data-testid="chain-tips"');
    expect(res.text).toContain('2016');
  });

  it('bull-board is mounted under /dashboard/queues behind the same auth', async () => {
    const anonymous = await request('GET', '/dashboard/queues/');
    expect(anonymous.status).toBe(303);
    const ui = await request('GET', '/dashboard/queues/', { cookie });
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('<base href="/dashboard/queues/"');
    const api = await request('GET', '/dashboard/queues/api/queues?activeQueue=release-order&status=failed&page=1', { cookie });
    expect(api.status).toBe(200);
    expect(api.text).toContain('release-order');
    // Writes through bull-board's API must come from this origin.
    const crossSite = await request('PUT', `/dashboard/queues/api/queues/release-order/${failedJobId}/retry`, { cookie, headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    const opaque = await request('PUT', `/dashboard/queues/api/queues/release-order/${failedJobId}/retry`, { cookie, headers: { origin: 'null' } });
    expect(opaque.status).toBe(403);
    const noOrigin = await request('PUT', `/dashboard/queues/api/queues/release-order/${failedJobId}/retry`, { cookie });
    expect(noOrigin.status).toBe(403);
    // bull-board's own UI (same origin) may retry.
    const other = await failOneJob(harness.releaseQueue, harness.runtime.redisUrl, 'retried through bull-board');
    const sameOrigin = await request('PUT', `/dashboard/queues/api/queues/release-order/${other}/retry`, { cookie, headers: { origin: harness.url } });
    expect(sameOrigin.status).toBeLessThan(300);
    expect(await (await harness.releaseQueue.getJob(other))?.getState()).toBe('waiting');
    expect(await (await harness.releaseQueue.getJob(failedJobId))?.getState()).toBe('failed');
  });
});

describe('actions', () => {
  it('refuses a POST without the CSRF token (403) and leaves the job failed; with it the job goes back to waiting', async () => {
    const { cookie, csrf } = await signIn();
    const path = `/dashboard/jobs/release-order/${encodeURIComponent(failedJobId)}/retry`;
    const missing = await request('POST', path, { cookie, form: {} });
    expect(missing.status).toBe(403);
    const wrong = await request('POST', path, { cookie, form: { _csrf: `${csrf.slice(0, -1)}x` } });
    expect(wrong.status).toBe(403);
    expect(await (await harness.releaseQueue.getJob(failedJobId))?.getState()).toBe('failed');

    const ok = await request('POST', path, { cookie, form: { _csrf: csrf, lang: 'en' } });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toContain('done=jobRetried');
    const retried = await harness.releaseQueue.getJob(failedJobId);
    expect(await retried?.getState()).toBe('waiting');
    expect(retried?.attemptsMade).toBe(0);
    const page = await request('GET', ok.headers.get('location') ?? '', { cookie });
    expect(page.text).toContain('Job moved back to waiting.');
    expect(page.text).not.toContain(`data-job-id="${failedJobId}"`);

    const again = await request('POST', path, { cookie, form: { _csrf: csrf } });
    expect(again.status).toBe(409);
    const unknownQueue = await request('POST', '/dashboard/jobs/nope/1/retry', { cookie, form: { _csrf: csrf } });
    expect(unknownQueue.status).toBe(404);
  });

  it('retries a failed payout through the payout operator (failed → scheduled)', async () => {
    const { cookie, csrf } = await signIn();
    const noCsrf = await request('POST', `/dashboard/payouts/${seeded.failedPayoutId}/retry`, { cookie, form: {} });
    expect(noCsrf.status).toBe(403);
    const res = await request('POST', `/dashboard/payouts/${seeded.failedPayoutId}/retry`, { cookie, form: { _csrf: csrf } });
    expect(res.status).toBe(303);
    const row = await harness.runtime.db.kysely.selectFrom('payouts').select('status').where('id', '=', seeded.failedPayoutId).executeTakeFirstOrThrow();
    expect(row.status).toBe('scheduled');
    const twice = await request('POST', `/dashboard/payouts/${seeded.failedPayoutId}/retry`, { cookie, form: { _csrf: csrf } });
    expect(twice.status).toBe(409);
  });

  it('marks a sent payout paid with the bank reference (sent → paid)', async () => {
    const { cookie, csrf } = await signIn();
    const res = await request('POST', `/dashboard/payouts/${seeded.sentPayoutId}/mark-paid`, { cookie, form: { _csrf: csrf, providerReference: 'BANK-REF-42', back: '/dashboard/payouts?status=sent' } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard/payouts?status=sent&done=payoutPaid&lang=en');
    const row = await harness.runtime.db.kysely
      .selectFrom('payouts')
      .select(['status', sql<string | null>`provider_reference`.as('reference')])
      .where('id', '=', seeded.sentPayoutId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'paid', reference: 'BANK-REF-42' });
  });

  it('acknowledges an operator notice, which then leaves the queue page', async () => {
    const { cookie, csrf } = await signIn();
    const before = await request('GET', '/dashboard/', { cookie });
    expect(before.text).toContain('Endpoint disabled after 3 days of failures');
    const action = /action="(\/dashboard\/notices\/\d+\/acknowledge)"/.exec(before.text)?.[1] ?? '';
    expect((await request('POST', action, { cookie, form: {} })).status).toBe(403);
    const res = await request('POST', action, { cookie, form: { _csrf: csrf } });
    expect(res.status).toBe(303);
    const after = await request('GET', res.headers.get('location') ?? '', { cookie });
    expect(after.text).toContain('Notice acknowledged.');
    expect(after.text).not.toContain('Endpoint disabled after 3 days of failures');
    expect((await request('POST', action, { cookie, form: { _csrf: csrf } })).status).toBe(404);
  });

  it('lets a script act with the bearer token (no cookie, so no CSRF token needed)', async () => {
    const jobId = await failOneJob(harness.releaseQueue, harness.runtime.redisUrl, 'second failure');
    const res = await request('POST', `/dashboard/jobs/release-order/${encodeURIComponent(jobId)}/retry`, { bearer: OPERATOR_TOKEN, form: {} });
    expect(res.status).toBe(303);
    expect(await (await harness.releaseQueue.getJob(jobId))?.getState()).toBe('waiting');
  });
});

describe('sign-in guessing', () => {
  it('is rate limited per client IP: 429 with Retry-After once the budget is spent', async () => {
    let last: Answer | undefined;
    for (let i = 0; i < 30; i++) {
      last = await request('POST', '/dashboard/sign-in', { form: { token: `cso_guess_${i}` } });
      if (last.status === 429) break;
      expect(last.status).toBe(401);
    }
    expect(last?.status).toBe(429);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last?.text).toContain('data-testid="message"');
  });
});

describe('queue depth sampler', () => {
  it('stores one sample per interval however many replicas sample, and reads them back in order', async () => {
    const atMs = Date.UTC(2030, 0, 1, 3, 0, 5);
    let nowMs = atMs;
    const clock = { now: () => new Date(nowMs) };
    const logger = harness.runtime.logger;
    const replicas = [1, 2, 3].map(() => new QueueDepthSampler({ redis: harness.runtime.redis, queues: [harness.releaseQueue], clock, logger, intervalMs: 10_000 }));
    const stored = await Promise.all(replicas.map((r) => r.sampleOnce()));
    expect(stored.filter(Boolean)).toHaveLength(1);
    nowMs += 10_000;
    expect(await replicas[1]?.sampleOnce()).toBe(true);
    const samples = await readQueueDepthSamples(harness.runtime.redis, atMs);
    expect(samples.map((s) => s.atMs)).toEqual([atMs, atMs + 10_000]);
    const waiting = await harness.releaseQueue.getJobCounts('waiting', 'prioritized', 'delayed');
    expect(samples[0]?.depths['release-order']?.waiting).toBe((waiting['waiting'] ?? 0) + (waiting['prioritized'] ?? 0) + (waiting['delayed'] ?? 0));
    // A day later the old samples are trimmed.
    nowMs = atMs + 25 * 3_600_000;
    expect(await replicas[2]?.sampleOnce()).toBe(true);
    expect((await readQueueDepthSamples(harness.runtime.redis, atMs)).map((s) => s.atMs)).toEqual([nowMs]);
  });
});
