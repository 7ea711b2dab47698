import { escapeHtml, html, trustedHtml } from './html';

describe('html', () => {
  it('escapes every interpolated string, including in attributes', () => {
    const evil = `"><script>alert('x')</script>&`;
    expect(html`<a title="${evil}">${evil}</a>`.value).toBe(
      '<a title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</a>',
    );
  });

  it('keeps nested markup and arrays of it, drops null, undefined and false', () => {
    const items = ['a<', 'b'].map((t) => html`<li>${t}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${0}`.value).toBe('<ul><li>a&lt;</li><li>b</li></ul>0');
    expect(html`${trustedHtml('<svg></svg>')}`.value).toBe('<svg></svg>');
  });

  it('escapeHtml leaves plain text alone', () => {
    expect(escapeHtml('Kobe Tea House へのお支払い')).toBe('Kobe Tea House へのお支払い');
  });
});
