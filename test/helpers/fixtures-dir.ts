// Where the fixture volumes and files are: $MINICACHE_FIXTURES when set,
// else shared/fixtures next to the project's folder, else the same folder
// in the workspace the project is developed in (/work/shared, used when the
// project is cloned elsewhere, for example to /tmp for a clean CI run).
import * as fs from 'node:fs';
import * as path from 'node:path';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');

function locateFixtures(): string {
  const candidates = [
    process.env.MINICACHE_FIXTURES,
    path.resolve(PROJECT_ROOT, '..', 'shared', 'fixtures'),
    '/work/shared/fixtures',
  ].filter((candidate): candidate is string => candidate !== undefined && candidate.length > 0);
  for (const candidate of candidates) {
    if (fs.existsSync(path.join(candidate, 'MANIFEST.md'))) return candidate;
  }
  throw new Error(`fixtures not found in ${candidates.join(', ')}: set MINICACHE_FIXTURES to the fixtures folder`);
}

export const FIXTURES_DIR = locateFixtures();
