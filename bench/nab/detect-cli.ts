/**
 * `npm run -s detect -- --corpus DATA_DIR --out OUT_DIR`: the platform's streaming detector over
 * a NAB-layout corpus (see runDetectCommand).
 */
import { createSeriesDetector } from '../../src/services/ai-engine/detect/index.js';
import { runDetectCommand } from './detect-command.js';

process.exitCode = runDetectCommand(process.argv.slice(2), () => createSeriesDetector(), {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
