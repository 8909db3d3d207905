// zod probes for eval to compile validators; the page's CSP (script-src 'self') forbids that and
// reports the probe as a violation. Imported first by main.tsx: shared/ parses defaults as it loads.
// Interpreted validation is fast enough for the engine's messages.
import { z } from 'zod';

z.config({ jitless: true });
