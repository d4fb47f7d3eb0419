/** Entry of the self-healing executor (bundled into build/services/self-healing.js). */
import { runService } from '../kit/run.js';
import { selfHealingService } from './service.js';

void runService(selfHealingService);
