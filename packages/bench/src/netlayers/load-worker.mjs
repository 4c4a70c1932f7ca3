// Worker bootstrap: loads the TypeScript load worker through tsx (the parent
// starts it with execArgv ['--conditions=@netlayers/source']).
import { register } from 'tsx/esm/api';

register();
await import(new URL('./load-worker.ts', import.meta.url).href);
