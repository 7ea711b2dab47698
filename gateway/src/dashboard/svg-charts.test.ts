import { barChart, compactNumber, lineChart, niceMax } from './svg-charts';

describe('svg charts', () => {
  it('rounds the y axis up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 3, 7, 12, 20, 21, 499, 501, 0.3].map(niceMax)).toEqual([1, 1, 5, 10, 20, 20, 50, 500, 1000, 0.5]);
  });

  it('abbreviates axis numbers', () => {
    expect([0, 12, 1234, 2_500_000, 3e9, 1.25].map(compactNumber)).toEqual(['0', '12', '1.2k', '2.5M', '3G', '1.3']);
  });

  it('draws one bar per entry scaled to the tallest, with escaped labels and tooltips', () => {
    const svg = barChart({ label: 'Volume <JPY>', bars: [{ label: 'a', value: 10, tooltip: '<b>10</b>' }, { label: 'b', value: 20, tooltip: '20' }] }).value;
    const heights = [...svg.matchAll(/<rect [^>]*height="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(heights).toHaveLength(2);
    expect(heights[1]).toBeCloseTo((heights[0] ?? 0) * 2, 0);
    expect(svg).toContain('aria-label="Volume &lt;JPY&gt;"');
    expect(svg).toContain('&lt;b&gt;10&lt;/b&gt;');
    expect(svg).not.toContain('<b>');
  });

  it('draws a polyline per non-empty series across the time span', () => {
    const svg = lineChart({
      label: 'depth',
      series: [
        { name: 'q1', points: [{ x: 0, y: 0 }, { x: 100, y: 5 }] },
        { name: 'q2', points: [] },
      ],
      fromMs: 0,
      toMs: 100,
      xTicks: [{ x: 50, label: '12' }],
    }).value;
    expect(svg.match(/<polyline/g)).toHaveLength(1);
    // x from the left padding to the right edge minus its padding; y=5 is the top of a 0..5 axis.
    expect(svg).toContain('points="56.0,172.0 590.0,10.0"');
  });
});
