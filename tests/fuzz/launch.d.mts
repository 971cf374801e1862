// Types of launch.mjs for the TypeScript tests.
import type { PropertyResult } from './runner.js';

export interface LaunchOptions {
  /** Target name: tests/fuzz/targets/<target>.ts. */
  target?: string;
  /** Or a module URL (file://...) and export name. */
  module?: string;
  exportName?: string;
  seed?: number;
  scale?: number;
  only?: readonly string[];
  path?: string;
  timeLimitMs?: number;
  caseTimeoutMs?: number;
  heapMb?: number;
  saveDir?: string;
  /** Add the smallest input of each outcome to tests/fixtures/corpus/<target>/. */
  collect?: boolean;
  onResult?(r: PropertyResult): void;
}

export interface LaunchFailure {
  kind: 'hang' | 'heap' | 'crash' | 'exit';
  property?: string;
  caseNumber?: number;
  saved?: string;
  size?: number;
  message: string;
}

export interface LaunchReport {
  target: string;
  seed: number;
  results: PropertyResult[];
  failure: LaunchFailure | undefined;
}

export const PROPERTIES: readonly string[];
export function fuzzOptionsFromEnv(env: Record<string, string | undefined>): Partial<LaunchOptions>;
export function randomSeed(): number;
export function launchFuzz(opts: LaunchOptions): Promise<LaunchReport>;
