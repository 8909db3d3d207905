// Secrets by name. The workspace names a secret; its value comes from this session's memory (given
// by the console or the desktop key store) or from the environment, never from a file we write.
import { secretEnvName } from '../../shared/schemas';

export { secretEnvName };

export class Secrets {
  private readonly values = new Map<string, string>();

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  set(name: string, value: string): void {
    this.values.set(name, value);
  }

  get(name: string): string | undefined {
    return this.values.get(name) ?? this.env[secretEnvName(name)];
  }
}
