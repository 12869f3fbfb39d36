import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { quote, argv, sh, raw } from '../../src/shell/quote.js';
import { LocalTransport } from '../../src/transport/local.js';

const hostile = [
  '',
  ' ',
  'plain',
  "it's",
  "'",
  "''",
  '"double"',
  '$(touch /tmp/pwned)',
  '`touch /tmp/pwned`',
  '${HOME}',
  '$HOME',
  'a\nb',
  '\n',
  'back\\slash\\',
  'semi;colon && or || pipe | amp &',
  '* ? [a-z] ~ #comment',
  '-n',
  '--',
  "'; rm -rf / #",
  'tab\there',
  'unicode: 안녕하세요 ✓',
  '\x01\x7f control',
];

const local = new LocalTransport();

test('quote: every hostile value arrives as exactly one argument, byte for byte', async () => {
  for (const value of hostile) {
    const r = await local.exec(`printf '%s' ${quote(value)}`);
    assert.is(r.code, 0);
    assert.is(r.stdout.toString('utf8'), value, `value ${JSON.stringify(value)}`);
  }
});

test('argv: several hostile words keep their boundaries', async () => {
  const r = await local.exec(`printf '<%s>' ${argv(hostile)}`);
  assert.is(r.stdout.toString('utf8'), hostile.map((v) => `<${v}>`).join(''));
});

test('sh template quotes interpolations and keeps raw text', async () => {
  const value = '$(echo injected)';
  const cmd = sh`printf '%s|%s' ${value} ${raw('"$((1+1))"')}`;
  const r = await local.exec(cmd.text);
  assert.is(r.stdout.toString(), '$(echo injected)|2');
  const nested = sh`printf '%s ' ${[`a b`, `c'd`]}`;
  assert.is((await local.exec(nested.text)).stdout.toString(), "a b c'd ");
});

test('quote refuses NUL bytes and non-string values', () => {
  assert.throws(() => quote('a\0b'), /NUL/);
  assert.throws(() => sh`echo ${undefined}`, /cannot put/);
  assert.throws(() => sh`echo ${{}}`, /cannot put/);
});

test('quote leaves safe words readable', () => {
  assert.is(quote('/opt/kafka_2.13-3.5.1'), '/opt/kafka_2.13-3.5.1');
  assert.is(quote('a b'), `'a b'`);
});

test('sh template: a backslash that is no JavaScript escape is a bug caught at once, not the word "undefined" in a script', () => {
  // String.raw-like texts with an invalid escape reach a tag with an undefined cooked part.
  const strings = Object.assign([undefined, ''] as unknown as string[], { raw: ["sed 's/a\\.b//'", ''] }) as unknown as TemplateStringsArray;
  assert.throws(() => sh(strings, 'x'), /holds a backslash that is not a JavaScript escape/);
});

test.run();
