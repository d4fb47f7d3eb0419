/** Entry of the AI engine (bundled into build/services/ai-engine.js). */
import { runService } from '../kit/run.js';
import { aiEngineService } from './service.js';

void runService(aiEngineService);
