# Writes .npy files with numpy (np.lib.format.write_array, as np.save does) for lowp's .npy tests, and
# manifest.json: per file its dtype, shape, version and the expected data as hex of arr.tobytes() in
# C order, little-endian (an oracle independent of lowp's reader). Also files lowp must reject.
# Run: python3 tests/io/npy-fixtures/make-npy.py   (numpy 2.x)
import json, os, io
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
for f in os.listdir(here):
    if f.endswith('.npy'):
        os.remove(os.path.join(here, f))

manifest = {}
rng = np.random.default_rng(7)

def values(code, n):
    if code[0] == 'f':
        base = rng.standard_normal(n) * 100
        specials = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-8, 65504.0]
        for i, s in enumerate(specials[: n]):
            base[i] = s
        return base.astype('<' + code)
    if code == 'b1':
        return (rng.integers(0, 2, n) == 1)
    info = np.iinfo(np.dtype(code))
    v = rng.integers(info.min, info.max, n, dtype=np.dtype(code), endpoint=True)
    if n >= 2:
        v[0], v[1] = info.min, info.max
    return v.astype(('|' if code[1] == '1' else '<') + code)

def save(name, arr, version=None, expect=None):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, version=version, allow_pickle=True)
    with open(os.path.join(here, name), 'wb') as f:
        f.write(buf.getvalue())
    entry = {'version': list(version) if version else None}
    if expect is None:
        entry.update({'descr': np.lib.format.dtype_to_descr(arr.dtype), 'shape': list(arr.shape),
                      'hex': np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder('<')).tobytes().hex()})
    else:
        entry['error'] = expect
    manifest[name] = entry

codes = ['f8', 'f4', 'f2', 'i8', 'i4', 'i2', 'i1', 'u8', 'u4', 'u2', 'u1', 'b1']
shapes = [(), (0,), (7,), (2, 3), (1, 2, 1, 4)]
for code in codes:
    for shape in shapes:
        n = int(np.prod(shape)) if shape else 1
        arr = values(code, n).reshape(shape)
        tag = 'x'.join(map(str, shape)) or 'scalar'
        save(f'{code}-{tag}.npy', arr)
    arr = values(code, 6).reshape(2, 3)
    save(f'{code}-v2.npy', arr, (2, 0))
    save(f'{code}-v3.npy', arr, (3, 0))
# a long first dimension (with no elements): numpy's spare header space shrinks as its digits grow
save('f4-long.npy', np.zeros((12345678901234, 0), dtype='<f4'))

# files lowp must reject, with the NpyError code expected
save('reject-big-endian.npy', np.arange(3, dtype='>f4'), expect='DTYPE')
save('reject-fortran.npy', np.asfortranarray(np.arange(6, dtype='<f4').reshape(2, 3)), expect='FORTRAN_ORDER')
save('reject-object.npy', np.array([1, 'a', None], dtype=object), expect='DTYPE')
save('reject-structured.npy', np.zeros(2, dtype=[('a', '<f4'), ('b', '<i2')]), expect='DTYPE')
save('reject-complex.npy', np.zeros(2, dtype='<c8'), expect='DTYPE')
save('reject-unicode.npy', np.array(['ab', 'c']), expect='DTYPE')
save('reject-datetime.npy', np.array(['2020-01-01'], dtype='datetime64[s]'), expect='DTYPE')

with open(os.path.join(here, 'manifest.json'), 'w') as f:
    json.dump(manifest, f, indent=1, sort_keys=True)
    f.write('\n')
print(f'wrote {len(manifest)} files with numpy {np.__version__}')
