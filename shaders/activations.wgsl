// Elementwise activations and their derivatives, shared by the kernels that include this file
// (a line `//#include activations` is replaced by it when the shaders are compiled).
// Activation codes: 0 identity, 1 relu, 2 leaky_relu, 3 tanh, 4 sigmoid (5, softmax, is a row op).

fn activate(v: f32, code: u32, alpha: f32) -> f32 {
  switch (code) {
    case 1u: { return max(v, 0.0); }
    case 2u: { return select(alpha * v, v, v > 0.0); }
    // WGSL tanh returns NaN for |v| above about 88 on some drivers; tanh(15) is already 1 in f32.
    case 3u: { return tanh(clamp(v, -15.0, 15.0)); }
    // exp(88) still fits in f32, so the clamp keeps exp finite; sigmoid(+-88) is 1 or ~0 anyway.
    case 4u: { return 1.0 / (1.0 + exp(-clamp(v, -88.0, 88.0))); }
    default: { return v; }
  }
}

// g * act'(x), with the derivative computed from the activation's output y.
fn activation_backward_at(y: f32, g: f32, code: u32, alpha: f32) -> f32 {
  switch (code) {
    case 1u: { return select(0.0, g, y > 0.0); }
    case 2u: { return select(alpha * g, g, y > 0.0); }
    case 3u: { return g * (1.0 - y * y); }
    case 4u: { return g * y * (1.0 - y); }
    default: { return g; }
  }
}
