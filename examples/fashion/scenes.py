#!/usr/bin/python3
# Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
"""Camera-like scenes of Fashion-MNIST items, rendered with torch (CPU or CUDA).

A scene is one 28x28 Fashion-MNIST item composited onto a background in RGB:

- the item is scaled so that its 28x28 square fills 45-95 % of the frame height, its width by
  0.7-1.15 times that (so that a 4:3 camera frame stretched to a square input is in the training
  distribution), placed at a random position inside the frame, and with probability 1/2 rotated
  by up to 12 degrees;
- it is tinted with a random colour: the gray intensity g of the item is its opacity
  (alpha = clamp(4 g, 0, 1)) and its shading (colour = tint * (0.4 + 0.6 g)), so the garment's
  texture stays visible; the tint's brightness is kept at least 0.3 away from the background's;
- the background is a solid colour, plus (each with probability 0.6) a linear gradient to a
  second colour and a low-frequency texture (5x5 random values, bilinearly upsampled);
- then, like a camera: mild gaussian blur of the item (sigma up to 1 px at 64 px frame height,
  applied at the item's 28x28 resolution; the background is smooth already), global
  brightness, contrast and per-channel gain (white balance) jitter, gaussian sensor noise,
  rounding to 8 bits.

Everything is vectorised over the batch. All random numbers come from the torch.Generator passed
in, on the generator's device, in a fixed order: one block of per-scene uniforms, the 5x5 texture
grid, then the per-pixel sensor noise (from `noise_generator` instead where one is given). The
composition (item, colours, placement, relative scale) uses a fixed number of random values per
scene, so with a separate noise generator it does not depend on the output size: the same seeds
give the same scenes at 64x64 and at 640x480 (only the sensor noise differs), and a camera demo
can render big frames that the engine resizes down to the network's 64x64 (make_eval_set.py
--size does that).

Library use:
    images, labels = load_fashion_mnist("train")      # numpy uint8 (N,28,28), int64 (N,)
    r = SceneRenderer(images, device="cuda")
    g = torch.Generator(device="cuda"); g.manual_seed(0)
    frames = r.render(torch.arange(256), g)            # uint8 (256,64,64,3) RGB, on the GPU
"""
import gzip
import os

import numpy as np
import torch
import torch.nn.functional as F

CLASS_NAMES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]

# Debian's dataset-fashion-mnist package installs the four original .gz files here.
DEFAULT_DATA_DIR = "/usr/share/datasets/fashion-mnist"

_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def data_dir(path=None):
    """The Fashion-MNIST directory: `path`, else $EDGERT_FASHION_MNIST, else Debian's."""
    return path or os.environ.get("EDGERT_FASHION_MNIST") or DEFAULT_DATA_DIR


def _read_idx(path, magic, ndim):
    with gzip.open(path, "rb") as f:
        data = f.read()
    header = np.frombuffer(data, dtype=">u4", count=1 + ndim)
    if header[0] != magic:
        raise ValueError(f"{path}: idx magic {header[0]:#x}, expected {magic:#x}")
    shape = tuple(int(d) for d in header[1:])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 * (1 + ndim))
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path}: {body.size} bytes of data for shape {shape}")
    return body.reshape(shape)


def load_fashion_mnist(split, path=None):
    """(images uint8 (N,28,28), labels int64 (N,)) of split "train" (60000) or "test" (10000),
    read from the idx .gz files (format: big-endian u32 magic 0x803 / 0x801, dims, then bytes)."""
    if split not in _FILES:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    d = data_dir(path)
    img_name, lbl_name = _FILES[split]
    images = _read_idx(os.path.join(d, img_name), 0x803, 3)
    labels = _read_idx(os.path.join(d, lbl_name), 0x801, 1).astype(np.int64)
    if images.shape[0] != labels.shape[0] or images.shape[1:] != (28, 28):
        raise ValueError(f"{d}: {split} images {images.shape} do not match labels {labels.shape}")
    return images, labels


def hsv_to_rgb(h, s, v):
    """h, s, v in [0,1], shape (B,) -> (B,3) RGB in [0,1]."""
    k = (torch.tensor([5.0, 3.0, 1.0], device=h.device) + h[:, None] * 6.0) % 6.0
    f = torch.clamp(torch.minimum(k, 4.0 - k), 0.0, 1.0)
    return v[:, None] * (1.0 - s[:, None] * f)


def _blur_items(items, sigma, radius):
    """Separable gaussian blur of items (B,1,h,w), zero padded, per-item sigma (B,) in pixels."""
    b, c, h, w = items.shape
    t = torch.arange(-radius, radius + 1, device=items.device, dtype=items.dtype)
    k = torch.exp(-0.5 * (t[None, :] / sigma.clamp(min=1e-3)[:, None]) ** 2)
    k = k / k.sum(dim=1, keepdim=True)  # (B, K)
    y = F.conv2d(items.reshape(1, b, h, w), k[:, None, None, :], padding=(0, radius), groups=b)
    y = F.conv2d(y, k[:, None, :, None], padding=(radius, 0), groups=b)
    return y.reshape(b, c, h, w)


# Columns of the per-scene uniform block, in draw order (do not reorder: it changes every scene).
_U_SCALE, _U_X, _U_Y, _U_ROT_ON, _U_ROT = 0, 1, 2, 3, 4
_U_ITEM_H, _U_ITEM_S, _U_ITEM_GAP, _U_ITEM_DARK = 5, 6, 7, 8
_U_BG_H, _U_BG_S, _U_BG_V = 9, 10, 11
_U_GRAD_ON, _U_GRAD_ANGLE, _U_GRAD_H, _U_GRAD_DV = 12, 13, 14, 15
_U_TEX_ON, _U_TEX_AMP = 16, 17
_U_BRIGHT, _U_CONTRAST, _U_GAIN = 18, 19, 20  # 20, 21, 22: R, G, B gains
_U_BLUR, _U_NOISE, _U_ASPECT = 23, 24, 25
_NUM_U = 26
_TEX_GRID = 5


class SceneRenderer:
    """Renders scenes of the given 28x28 uint8 items (numpy or tensor, (N,28,28))."""

    def __init__(self, images, device="cpu", max_rotation_deg=12.0):
        # torch.tensor copies: the input may be a read-only array.
        items = torch.tensor(np.asarray(images), device=device)
        self.items = items.to(torch.float32).div_(255.0).unsqueeze(1)  # (N,1,28,28)
        self.device = torch.device(device)
        self.max_rotation_deg = max_rotation_deg

    def render(self, indices, generator, height=64, width=64, noise_generator=None):
        """uint8 RGB frames (B,height,width,3), NHWC, of the items `indices` (B,), on the
        renderer's device. The generators must be on that device too."""
        idx = torch.as_tensor(indices, device=self.device, dtype=torch.long)
        return render_items(self.items[idx], generator, height, width, self.max_rotation_deg,
                            noise_generator)


def render_items(items, generator, height=64, width=64, max_rotation_deg=12.0,
                 noise_generator=None):
    """items float (B,1,28,28) in [0,1] -> uint8 (B,height,width,3). See the module docstring."""
    dev = items.device
    b = items.shape[0]
    H, W = int(height), int(width)
    u = torch.rand(b, _NUM_U, generator=generator, device=dev)
    tex = torch.randn(b, 4, _TEX_GRID, _TEX_GRID, generator=generator, device=dev)

    # --- item placement: the 28x28 square becomes sx x s pixels centred at (cx, cy).
    s = (0.45 + 0.50 * u[:, _U_SCALE]) * H
    sx = s * (0.70 + 0.45 * u[:, _U_ASPECT])
    cx = sx / 2 + u[:, _U_X] * (W - sx).clamp(min=0) + (W - sx).clamp(max=0) / 2
    cy = s / 2 + u[:, _U_Y] * (H - s)
    rot_on = (u[:, _U_ROT_ON] < 0.5).float()
    ang = rot_on * (2 * u[:, _U_ROT] - 1) * (max_rotation_deg * np.pi / 180.0)
    cos, sin = torch.cos(ang), torch.sin(ang)
    # Output pixel p (normalised x_o, y_o in [-1,1], align_corners=False) is item coordinate
    # diag(2/sx, 2/s) R (p - c) with p - c = diag(W/2, H/2) [x_o, y_o] + (W/2 - cx, H/2 - cy).
    kx, ky = 2.0 / sx, 2.0 / s
    dx, dy = W / 2 - cx, H / 2 - cy
    theta = torch.stack([
        torch.stack([kx * cos * (W / 2), kx * sin * (H / 2), kx * (cos * dx + sin * dy)], dim=1),
        torch.stack([-ky * sin * (W / 2), ky * cos * (H / 2), ky * (-sin * dx + cos * dy)], dim=1),
    ], dim=1)
    # Camera blur, applied to the item at its own 28x28 resolution (the background is smooth
    # already): sigma up to 1 output pixel at 64 px frame height, i.e. the same at any size.
    sigma_src = (u[:, _U_BLUR] * (H / 64.0)) * (28.0 / s)
    items = _blur_items(items, sigma_src, 3)
    grid = F.affine_grid(theta, [b, 1, H, W], align_corners=False)
    g = F.grid_sample(items, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    alpha = (4.0 * g).clamp_(max=1.0)

    # --- colours: background value v_bg, item value at least 0.3 brighter or darker.
    v_bg = 0.15 + 0.80 * u[:, _U_BG_V]
    gap = 0.30 + 0.45 * u[:, _U_ITEM_GAP]
    can_dark = v_bg - gap >= 0.08
    can_light = v_bg + gap <= 1.0
    dark = can_dark & (~can_light | (u[:, _U_ITEM_DARK] < 0.5))
    v_item = torch.where(dark, v_bg - gap, (v_bg + gap).clamp(max=1.0))
    c_item = hsv_to_rgb(u[:, _U_ITEM_H], 0.9 * u[:, _U_ITEM_S], v_item)
    c_bg = hsv_to_rgb(u[:, _U_BG_H], 0.6 * u[:, _U_BG_S], v_bg)
    v_bg2 = (v_bg + 0.3 * (u[:, _U_GRAD_DV] - 0.5)).clamp(0.0, 1.0)
    c_bg2 = hsv_to_rgb(u[:, _U_GRAD_H], 0.6 * u[:, _U_BG_S], v_bg2)

    # --- background: solid + gradient + low-frequency texture, in normalised frame coordinates.
    # The gradient ramp (0..1 across the frame along a random direction) is a*x + b*y + c.
    ga = u[:, _U_GRAD_ANGLE] * (2 * np.pi)
    on = (u[:, _U_GRAD_ON] < 0.6).float()
    ax = (on * (0.5 / 1.4143) * torch.cos(ga))[:, None, None]
    ay = (on * (0.5 / 1.4143) * torch.sin(ga))[:, None, None]
    xs = torch.linspace(-1.0, 1.0, W, device=dev)[None, None, :]
    ys = torch.linspace(-1.0, 1.0, H, device=dev)[None, :, None]
    ramp = torch.addcmul(ay * ys + 0.5 * on[:, None, None], ax, xs)  # (B,H,W)
    # Texture: mostly luminance, some colour; mixed and scaled on the 5x5 grid (interpolation is
    # linear), then upsampled.
    tex_amp = 0.10 * u[:, _U_TEX_AMP] * (u[:, _U_TEX_ON] < 0.6).float()
    tex = tex_amp[:, None, None, None] * (0.7 * tex[:, :1] + 0.3 * tex[:, 1:])
    img = F.interpolate(tex, size=(H, W), mode="bilinear", align_corners=False)
    img += c_bg[:, :, None, None]
    img.addcmul_((c_bg2 - c_bg)[:, :, None, None], ramp[:, None])

    # --- the item over the background: lerp(bg, tint * shade, alpha).
    shade = g.mul_(0.6).add_(0.4)
    img.lerp_(c_item[:, :, None, None] * shade, alpha)

    # --- camera: brightness/contrast/white balance (one affine map per channel), sensor noise,
    # 8 bits. y = ((x - 0.5) * contrast + 0.5 + bright) * gain, in 0..255 units.
    contrast = (0.75 + 0.5 * u[:, _U_CONTRAST])[:, None]
    bright = (0.2 * (u[:, _U_BRIGHT] - 0.5))[:, None]
    gains = 255.0 * (0.85 + 0.3 * u[:, _U_GAIN:_U_GAIN + 3])  # (B,3)
    a = contrast * gains
    c = (0.5 - 0.5 * contrast + bright) * gains
    noise_sd = 255.0 * (0.005 + 0.03 * u[:, _U_NOISE])
    noise_gen = generator if noise_generator is None else noise_generator
    noise = torch.randn(b, 3, H, W, generator=noise_gen, device=dev)
    img.mul_(a[:, :, None, None]).add_(c[:, :, None, None])
    img.addcmul_(noise, noise_sd[:, None, None, None])
    img = img.round_().clamp_(0, 255).to(torch.uint8)
    return img.permute(0, 2, 3, 1).contiguous()
