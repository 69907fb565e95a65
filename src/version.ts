/**
 * The package version, read from package.json at run time: ../package.json is the package
 * root both from src/ (tsx) and from dist/ (installed), so there is no copy to keep in step.
 */
import { readFileSync } from 'node:fs';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
