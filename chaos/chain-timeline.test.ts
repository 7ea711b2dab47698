import { EvmTimeline, LitecoinTimeline } from './chain-timeline';

const block = (height: number, txids: string[] = []) => ({ hash: `h${height}-${txids.join('')}`, height, txids });

describe('LitecoinTimeline.confirmedAt', () => {
  it('dates the Nth confirmation to the start of the call that mined the block giving it', () => {
    const t = new LitecoinTimeline(100);
    t.connected(block(101, ['a']), 1_000);
    t.connected(block(102), 2_000);
    t.connected(block(103), 3_000);
    expect(t.confirmedAt(new Map([['a', 1]])).get('a')).toBe(1_000);
    expect(t.confirmedAt(new Map([['a', 3]])).get('a')).toBe(3_000);
    expect(t.confirmedAt(new Map([['a', 4]])).has('a')).toBe(false);
  });

  it('forgets confirmations a cut branch gave, and counts them again on the new branch', () => {
    const t = new LitecoinTimeline(100);
    t.connected(block(101, ['a']), 1_000);
    t.connected(block(102), 2_000);
    t.disconnected(101, 2_500);
    t.connected(block(101), 3_000);
    t.connected(block(102, ['a']), 4_000);
    t.connected(block(103), 5_000);
    // Two confirmations first at 2 000 (old branch); the new branch gives them again only at 5 000.
    expect(t.confirmedAt(new Map([['a', 2]])).get('a')).toBe(2_000);
    expect(t.confirmedAt(new Map([['a', 3]])).has('a')).toBe(false);
  });

  it('never confirms a transaction whose branch was cut and that no later block holds (a double spend)', () => {
    const t = new LitecoinTimeline(100);
    t.connected(block(101, ['victim']), 1_000);
    t.disconnected(101, 1_500);
    t.connected(block(101, ['conflict']), 2_000);
    t.connected(block(102), 3_000);
    const reached = t.confirmedAt(new Map([['victim', 2], ['conflict', 2]]));
    expect(reached.has('victim')).toBe(false);
    expect(reached.get('conflict')).toBe(3_000);
  });
});

describe('EvmTimeline.confirmedAt', () => {
  it('is the first moment the tip was N - 1 blocks past the payment', () => {
    const t = new EvmTimeline();
    t.tipReached(10, 1_000);
    t.tipReached(11, 2_000);
    t.tipReached(12, 3_000);
    expect(t.confirmedAt(10, 1)).toBe(1_000);
    expect(t.confirmedAt(10, 3)).toBe(3_000);
    expect(t.confirmedAt(10, 4)).toBeUndefined();
  });
});
