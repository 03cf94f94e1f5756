# NAdam's references in tests/nn/optim_torch_values_extra.h: PyTorch's _single_tensor_nadam
# (torch/optim/nadam.py) transcribed, mu_product a float32 tensor; float32 runs in the
# operation order of ember's NadamUpdate (core/optim_math_more.h), each op rounded once.
#   python3 optim_nadam_reference.py 2x f64|f32   PyTorch >= 2.0: mu_product_next = mu_product * mu_next
#   python3 optim_nadam_reference.py 113 f64|f32  PyTorch 1.13: f32(f32(mu_product * mu) * mu_next); this mode
#                                                 reproduces PyTorch 1.13's own rows bit for bit (f32) and to 3e-16.
import math, struct, sys
from fractions import Fraction as F

def f32(x):
    return struct.unpack('f', struct.pack('f', x))[0]

def next32(x, up):
    b = struct.unpack('I', struct.pack('f', x))[0]
    if x == 0: return struct.unpack('f', struct.pack('I', 1))[0] * (1 if up else -1)
    if (x > 0) == up: b += 1
    else: b -= 1
    return struct.unpack('f', struct.pack('I', b))[0]

def r32(q):  # correctly rounded Fraction -> float32
    c = f32(float(q))
    best = c
    for cand in (next32(c, True), next32(c, False)):
        if abs(F(cand) - q) < abs(F(best) - q) or (abs(F(cand) - q) == abs(F(best) - q) and
                struct.unpack('I', struct.pack('f', cand))[0] % 2 == 0):
            best = cand
    return best

def fma32(a, b, c):
    return r32(F(a) * F(b) + F(c))

def run(mode, dtype, lr=2e-3, b1=0.9, b2=0.999, eps=1e-8, wd=0.0, md=4e-3, steps=20, keep=(1, 2, 3, 5, 10, 15, 20),
        state_at=None):
    p = [1.0, -0.5, 0.25, 2.0, -1.5]
    if dtype == 'f32': p = [f32(x) for x in p]
    m = [0.0] * 5; v = [0.0] * 5; mp = 1.0; out = []
    for t in range(1, steps + 1):
        g = [0.5 * x - math.sin(0.7 * t + i) for i, x in enumerate(p)]
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * md)); mun = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * md))
        prod = f32(f32(mp) * f32(mu))
        if mode == '113': prodn = f32(f32(prod * f32(mu)) * f32(mun))
        else: prodn = prod * mun
        mp = prod
        bc2 = 1.0 - b2 ** t
        gc = -lr * (1.0 - mu) / (1.0 - prod)
        ec = -lr * mun / (1.0 - prodn)
        if dtype == 'f64':
            for i in range(5):
                gi = g[i] + wd * p[i] if wd else g[i]
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                d = math.sqrt(v[i] / bc2) + eps
                p[i] = p[i] + gc * gi / d
                p[i] = p[i] + ec * m[i] / d
        else:
            B1, OB1, B2, OB2, E, W, BC2, GC, EC = map(f32, (b1, 1 - b1, b2, 1 - b2, eps, wd, bc2, gc, ec))
            for i in range(5):
                gi = f32(g[i])
                if wd: gi = fma32(W, p[i], gi)
                m[i] = fma32(OB1, gi, f32(m[i] * B1))
                v[i] = fma32(f32(OB2 * gi), gi, f32(v[i] * B2))
                d = f32(f32(math.sqrt(f32(v[i] / BC2))) + E)
                p[i] = f32(p[i] + f32(f32(GC * gi) / d))
                p[i] = f32(p[i] + f32(f32(EC * m[i]) / d))
        if t in keep: out.append(list(p))
        if state_at == t: return p, m, v, mp
    return out

cases = {"default": {}, "decay": dict(lr=0.05, b1=0.8, b2=0.95, eps=1e-6, wd=0.1, md=0.01)}
if __name__ == '__main__':
    mode = sys.argv[1]; dtype = sys.argv[2]
    for name, kw in cases.items():
        rows = run(mode, dtype, **kw)
        print(f"// nadam_{name}")
        print("{" + ",\n ".join("{" + ", ".join(repr(v) if dtype == 'f64' else f"{v!r}f" for v in row) + "}"
                                 for row in rows) + "}")
    if dtype == 'f64':
        p, m, v, mp = run(mode, 'f64', state_at=3, **cases["decay"])
        print("// state after 3 steps (decay):", p, m, v, repr(mp))
