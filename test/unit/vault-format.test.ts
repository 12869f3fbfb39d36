// Ansible Vault's format (src/vault/format.ts) on its own: round trips of every padding length,
// vault ids, the order passwords are tried in, and damaged or wrong input refused, never garbage.
// Interoperability with ansible-vault itself is test/cli/vault.test.ts.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decryptVault, encryptVault, isVaulted, vaultIdOf, VaultError } from '../../src/vault/format.js';

const pw = (p: string, id = 'default') => ({ id, password: Buffer.from(p) });
const refused = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    assert.instance(e, VaultError);
    return (e as Error).message;
  }
  throw new Error('not refused');
};

test('round trip for every length around a block, and binary bytes', () => {
  for (let n = 0; n <= 33; n++) {
    const plain = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37) % 256));
    const text = encryptVault(plain, pw('s3cret'));
    assert.ok(decryptVault(text, [pw('s3cret')]).equals(plain), `length ${n}`);
  }
});

test("the envelope: 1.1 header, 80-column hex lines, a final newline; 1.2 names the vault id", () => {
  const text = encryptVault('a: 1\n', pw('x'));
  const [header, ...lines] = text.trimEnd().split('\n');
  assert.is(header, '$ANSIBLE_VAULT;1.1;AES256');
  assert.ok(lines.every((l) => /^[0-9a-f]{1,80}$/.test(l)) && lines.slice(0, -1).every((l) => l.length === 80));
  assert.ok(text.endsWith('\n') && isVaulted(text) && !isVaulted('a: 1'));
  const prod = encryptVault('a: 1\n', pw('x', 'prod'));
  assert.is(prod.split('\n')[0], '$ANSIBLE_VAULT;1.2;AES256;prod');
  assert.is(vaultIdOf(prod), 'prod');
  assert.is(vaultIdOf(text), undefined);
});

test('passwords for the vault id are tried first, then the others; none that fits is refused', () => {
  const text = encryptVault('v', pw('right', 'prod'));
  assert.is(decryptVault(text, [pw('wrong'), pw('right', 'dev'), pw('wrong', 'prod')]).toString(), 'v');
  assert.match(refused(() => decryptVault(text, [pw('wrong', 'prod')])), /no vault password given opens it \(vault id prod\)/);
  assert.match(refused(() => decryptVault(text, [])), /no vault password was given/);
});

test('damaged input is refused: a flipped ciphertext byte fails the HMAC, bad hex and headers are named', () => {
  const text = encryptVault('secret value', pw('p'));
  const [header, ...body] = text.trimEnd().split('\n');
  const [salt, mac, ciphertext] = Buffer.from(body.join(''), 'hex').toString('latin1').split('\n');
  const flipped = ciphertext.slice(0, -1) + (ciphertext.endsWith('0') ? '1' : '0');
  const damaged = `${header}\n${Buffer.from([salt, mac, flipped].join('\n'), 'latin1').toString('hex')}\n`;
  assert.match(refused(() => decryptVault(damaged, [pw('p')])), /no vault password given opens it/);
  assert.match(refused(() => decryptVault('$ANSIBLE_VAULT;1.1;AES256\nzz\n', [pw('p')])), /not hexadecimal/);
  assert.match(refused(() => decryptVault('$ANSIBLE_VAULT;2.0;AES256\n00\n', [pw('p')])), /format 2\.0 is not supported/);
  assert.match(refused(() => decryptVault('$ANSIBLE_VAULT;1.1;DES\n00\n', [pw('p')])), /cipher DES/);
  assert.match(refused(() => decryptVault('hello', [pw('p')])), /no \$ANSIBLE_VAULT header/);
});

test.run();
