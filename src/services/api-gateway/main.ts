/** Entry of the API gateway (bundled into build/services/api-gateway.js). */
import { runService } from '../kit/run.js';
import { apiGatewayService } from './service.js';

void runService(apiGatewayService);
