// The row quantizer quantizeGgml runs for each type: the fast paths where one exists, else the
// reference twin (reference.ts), which is then the implementation.
import { REFERENCE_QUANTIZERS, type RowQuantizer } from './reference.js';

export const ROW_QUANTIZERS: Readonly<Record<string, RowQuantizer>> = {
  ...REFERENCE_QUANTIZERS,
};
