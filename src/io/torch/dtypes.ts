// PyTorch's element types as they appear in torch.save files, and lowp's element type for each: the
// dtype objects that `_rebuild_tensor_v3` names (`torch.float8_e4m3fn`), and the legacy typed storage
// classes that name the dtype of `_rebuild_tensor_v2`'s storage (`torch.FloatStorage`). Element sizes are
// known for every one of them, so a storage's declared size can be checked against its record even for
// tensors lowp does not read (complex, quantized, packed fp4).
// Reference: torch/storage.py (`_dtype_to_storage_type_map`, `_new_dtypes`), c10/core/ScalarType.h.
import type { TensorDType } from '../elements.js';

/** A torch dtype: its element size and lowp's element type, or why lowp does not read it. */
export interface TorchDTypeInfo {
  /** torch's name without the `torch.` prefix (`'bfloat16'`). */
  readonly torch: string;
  /** Bytes per element. */
  readonly size: number;
  /** lowp's element type, or undefined when lowp does not read this dtype. */
  readonly dtype: TensorDType | undefined;
  /** Why it is not read (when `dtype` is undefined). */
  readonly unsupported?: string;
}

const d = (torch: string, size: number, dtype: TensorDType | undefined, unsupported?: string): TorchDTypeInfo =>
  Object.freeze({ torch, size, dtype, ...(unsupported ? { unsupported } : {}) });

const COMPLEX = 'complex tensors have no lowp element type';
const QUANT = 'quantized tensors need their scale and zero point, which lowp does not apply';
const BITS = 'a raw bit container without a number format';

/** Every dtype a torch.save file can name, by torch's name. */
export const TORCH_DTYPES: ReadonlyMap<string, TorchDTypeInfo> = new Map(
  [
    d('float64', 8, 'F64'),
    d('float32', 4, 'F32'),
    d('float16', 2, 'F16'),
    d('bfloat16', 2, 'BF16'),
    d('int64', 8, 'I64'),
    d('int32', 4, 'I32'),
    d('int16', 2, 'I16'),
    d('int8', 1, 'I8'),
    d('uint8', 1, 'U8'),
    d('uint16', 2, 'U16'),
    d('uint32', 4, 'U32'),
    d('uint64', 8, 'U64'),
    d('bool', 1, 'BOOL'),
    d('float8_e4m3fn', 1, 'F8_E4M3'),
    d('float8_e5m2', 1, 'F8_E5M2'),
    d('float8_e4m3fnuz', 1, 'F8_E4M3FNUZ'),
    d('float8_e5m2fnuz', 1, 'F8_E5M2FNUZ'),
    d('float8_e8m0fnu', 1, 'F8_E8M0'),
    d('float4_e2m1fn_x2', 1, undefined, 'packed fp4 pairs (float4_e2m1fn_x2) are not read yet'),
    d('complex32', 4, undefined, COMPLEX),
    d('complex64', 8, undefined, COMPLEX),
    d('complex128', 16, undefined, COMPLEX),
    d('qint8', 1, undefined, QUANT),
    d('quint8', 1, undefined, QUANT),
    d('qint32', 4, undefined, QUANT),
    d('quint4x2', 1, undefined, QUANT),
    d('quint2x4', 1, undefined, QUANT),
    d('bits1x8', 1, undefined, BITS),
    d('bits2x4', 1, undefined, BITS),
    d('bits4x2', 1, undefined, BITS),
    d('bits8', 1, undefined, BITS),
    d('bits16', 2, undefined, BITS),
  ].map((x) => [x.torch, x]),
);

/** The legacy typed storage classes (`torch.<Name>`), by class name, with the dtype they hold. */
export const STORAGE_CLASSES: ReadonlyMap<string, string> = new Map([
  ['DoubleStorage', 'float64'],
  ['FloatStorage', 'float32'],
  ['HalfStorage', 'float16'],
  ['BFloat16Storage', 'bfloat16'],
  ['LongStorage', 'int64'],
  ['IntStorage', 'int32'],
  ['ShortStorage', 'int16'],
  ['CharStorage', 'int8'],
  ['ByteStorage', 'uint8'],
  ['BoolStorage', 'bool'],
  ['ComplexFloatStorage', 'complex64'],
  ['ComplexDoubleStorage', 'complex128'],
  ['QInt8Storage', 'qint8'],
  ['QUInt8Storage', 'quint8'],
  ['QInt32Storage', 'qint32'],
  ['QUInt4x2Storage', 'quint4x2'],
  ['QUInt2x4Storage', 'quint2x4'],
]);
