"""A small worked network (2 inputs, 2 sigmoid hidden units, 1 sigmoid output), the one
notebook 02 works by hand: one forward pass, one backward pass, every gradient printed."""

from autograd import Value

x1, x2 = 0.05, 0.10
w = [Value(v, label=f"w{i + 1}") for i, v in enumerate([0.15, 0.20, 0.25, 0.30, 0.40, 0.45])]
b11, b12, b2 = Value(0.35, label="b1,1"), Value(0.35, label="b1,2"), Value(0.60, label="b2")

h1 = (x1 * w[0] + x2 * w[1] + b11).sigmoid()  # z1,1 = x1*w1 + x2*w2 + b1,1
h2 = (x1 * w[2] + x2 * w[3] + b12).sigmoid()  # z1,2 = x1*w3 + x2*w4 + b1,2
y = (h1 * w[4] + h2 * w[5] + b2).sigmoid()  # z2 = h1*w5 + h2*w6 + b2
loss = 0.5 * (y - 0.01) ** 2
loss.backward()

print(f"output y = {y.data:.6f}   loss = {loss.data:.6f}")
for p in [*w, b11, b12, b2]:
    print(f"  dloss/d{p.label:<5} = {p.grad:+.8f}")
