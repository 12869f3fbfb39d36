// The artifact mirror's content: ZooKeeper and Kafka release tarballs at archive.apache.org's paths.

import { mkdir } from 'node:fs/promises';
import { ARTIFACTS_DIR } from './paths.js';

export async function ensureArtifacts(log: (line: string) => void): Promise<void> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  log('artifacts: not built yet');
}
