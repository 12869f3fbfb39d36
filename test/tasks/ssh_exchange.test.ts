// ssh_exchange: every host's key authorized on every host and every host key known, as the
// manual's ssh-copy-id rounds leave them: the known_hosts editing, here; on hosts: systasks-lab.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { editKnownHosts, knownHostEntries, namesOf } from '../../tasks/ssh_exchange.js';

test('members sharing a machine want the same known_hosts, whichever writes it; localhost on a line of its own', () => {
  const key = ['ssh-ed25519 AAAAsame'];
  const member = (name: string) => ({ names: namesOf(name, { ansible_host: '10.0.3.10' }), hostKeys: key });
  const fromOne = editKnownHosts([], knownHostEntries([member('zookeeper1'), member('zookeeper2')], key));
  const fromTwo = editKnownHosts([], knownHostEntries([member('zookeeper2'), member('zookeeper1')], key));
  assert.equal([...fromOne].sort(), [...fromTwo].sort());
  assert.ok(fromOne.includes('localhost ssh-ed25519 AAAAsame'), fromOne.join('\n'));
  // A line written before localhost had its own (kafka01,10.0.0.11,localhost) is replaced.
  const old = ['kafka01,10.0.0.11,localhost ssh-ed25519 AAAAsame'];
  const migrated = editKnownHosts(old, knownHostEntries([{ names: ['kafka01', '10.0.0.11'], hostKeys: key }], key));
  assert.equal(migrated, ['kafka01,10.0.0.11 ssh-ed25519 AAAAsame', 'localhost ssh-ed25519 AAAAsame']);
});

test('editKnownHosts adds one line per host key and drops a stale key for the same name', () => {
  const lines = ['kafka02 ssh-ed25519 AAAAstale', 'other ssh-ed25519 AAAAkeep', 'kafka02 ssh-rsa AAAArsa-kept-different-type'];
  const out = editKnownHosts(lines, [{ names: ['kafka02', '10.0.0.12'], keys: ['ssh-ed25519 AAAAnew'] }]);
  assert.equal(out, ['other ssh-ed25519 AAAAkeep', 'kafka02 ssh-rsa AAAArsa-kept-different-type', 'kafka02,10.0.0.12 ssh-ed25519 AAAAnew']);
  assert.equal(editKnownHosts(out, [{ names: ['kafka02', '10.0.0.12'], keys: ['ssh-ed25519 AAAAnew'] }]), out, 'idempotent');
  assert.equal(namesOf('kafka02', { ansible_host: '10.0.0.12', private_ip: '10.0.0.12', address: 5 }), ['kafka02', '10.0.0.12']);
});

test.run();
