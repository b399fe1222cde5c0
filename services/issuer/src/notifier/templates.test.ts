import { escapeHtml, fillTemplate, loadTemplates, renderResultEmail } from './templates';

describe('e-mail templates', () => {
  const templates = loadTemplates();

  it('escapes every HTML special character', () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y'`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;',
    );
  });

  it('fills placeholders and refuses one without a value', () => {
    expect(fillTemplate('Hi {{ name }}, {{name}}!', { name: 'Ann' })).toBe('Hi Ann, Ann!');
    expect(() => fillTemplate('code {{giftCode}}', {})).toThrow('{{giftCode}}');
  });

  it('renders a winner e-mail with the gift code in every body', () => {
    const email = renderResultEmail(templates, 'ISSUED', { eventName: 'Spring Drop', position: 7, giftCode: 'ABCD-1234' });
    expect(email.subject).toBe('Your gift code for Spring Drop');
    expect(email.text).toContain('ABCD-1234');
    expect(email.text).toContain('number 7');
    expect(email.html).toContain('<code style="font-size: 1.4em">ABCD-1234</code>');
  });

  it('renders a sold-out e-mail without any code', () => {
    const email = renderResultEmail(templates, 'SOLD_OUT', { eventName: 'Spring Drop', position: 31 });
    expect(email.subject).toBe('Your result for Spring Drop');
    expect(email.text).toContain('number 31');
    expect(email.html).not.toContain('{{');
    expect(email.text).not.toMatch(/code/i);
  });

  it('escapes values in the HTML body only, and keeps the subject on one line', () => {
    const eventName = 'Tom & Jerry <b>"Live"</b>\r\nBcc: x@evil.example';
    const email = renderResultEmail(templates, 'SOLD_OUT', { eventName, position: 1 });
    expect(email.html).toContain('Tom &amp; Jerry &lt;b&gt;&quot;Live&quot;&lt;/b&gt;');
    expect(email.html).not.toContain('<b>"Live"</b>');
    expect(email.text).toContain('Tom & Jerry <b>"Live"</b>');
    expect(email.subject).toBe('Your result for Tom & Jerry <b>"Live"</b> Bcc: x@evil.example');
    expect(email.subject).not.toMatch(/[\r\n]/);
  });
});
