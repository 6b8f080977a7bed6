#!/usr/bin/python3
# Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
"""Renders the two sample images of the classify_image example (a line of text, upright and turned
by 180 degrees) and, optionally, the model input tensors made from them.

Usage: /usr/bin/python3 make_samples.py [--out DIR] [--tensors DIR]
  --out DIR      where to write upright.png and rotated_180.png (default: samples/ next to this)
  --tensors DIR  also write <name>.npy: the 1x3x48x192 float32 input classify_image feeds the
                 model, for checking the samples with another runtime (verify_samples.mjs)

Needs python3-pil and fonts-dejavu-core (Debian). The images are exactly 48 pixels high and narrower
than 192, so the classifier's preprocessing does not resample them and the tensors written here are
bit-identical to the ones classify_image computes.
"""
import argparse
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
TEXT = "Hello world"
HEIGHT = 48  # the classifier's input height
MAX_WIDTH = 192  # the classifier's input width
FONT_SIZE = 30


def render():
    font = ImageFont.truetype(FONT, FONT_SIZE)
    left, top, right, bottom = font.getbbox(TEXT)
    width = right - left + 12  # a little white margin on both sides, as a cropped text box has
    if width > MAX_WIDTH:
        sys.exit(f"text too wide ({width} px > {MAX_WIDTH}); shorten TEXT or FONT_SIZE")
    img = Image.new("RGB", (width, HEIGHT), "white")
    draw = ImageDraw.Draw(img)
    # Vertically centred on the ink box, black on white like printed text.
    draw.text((6 - left, (HEIGHT - (bottom - top)) // 2 - top), TEXT, font=font, fill="black")
    return img


def to_tensor(img):
    """PaddleOCR's cls preprocessing for an image already HEIGHT high and <= MAX_WIDTH wide:
    BGR channel order (cv2.imread), (x/255 - 0.5)/0.5, zero padding on the right."""
    bgr = np.asarray(img, dtype=np.float32)[:, :, ::-1]
    chw = (bgr.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
    out = np.zeros((1, 3, HEIGHT, MAX_WIDTH), dtype=np.float32)
    out[0, :, :, : chw.shape[2]] = chw
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(here, "samples"))
    ap.add_argument("--tensors")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    upright = render()
    images = {"upright": upright, "rotated_180": upright.rotate(180)}
    for name, img in images.items():
        # optimize=True keeps the committed PNGs small; PNG is lossless, so pixels are unchanged.
        img.save(os.path.join(args.out, name + ".png"), optimize=True)
        print(f"{name}.png: {img.width}x{img.height}")
        if args.tensors:
            os.makedirs(args.tensors, exist_ok=True)
            np.save(os.path.join(args.tensors, name + ".npy"), to_tensor(img))
    return 0


if __name__ == "__main__":
    sys.exit(main())
