// Marks the CLI entry point executable after tsc (tsc does not keep modes).
import { chmodSync } from 'node:fs';
chmodSync(new URL('../dist/cli/main.js', import.meta.url), 0o755);
