"""A grey-scale heat map as a PNG, with the standard library only (zlib + struct).

Reports are written on servers without a plotting library; a PNG is a signature, an
IHDR chunk, compressed scanlines and an IEND chunk, which is a few lines of code.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

TARGET_SIZE = 600  # pixels; each cell gets a whole number of them
GRID = 230  # light grey lines between cells


def write_heatmap(path: Path, values: np.ndarray) -> None:
    """`values` in [0, 1], one cell per entry; 0 is white and 1 is black."""
    rows, columns = values.shape
    cell = max(2, TARGET_SIZE // max(rows, columns, 1))
    shade = (255 - np.clip(values, 0.0, 1.0) * 255).astype(np.uint8)
    image = np.repeat(np.repeat(shade, cell, axis=0), cell, axis=1)
    if cell >= 4:
        image[::cell, :] = np.minimum(image[::cell, :], GRID)
        image[:, ::cell] = np.minimum(image[:, ::cell], GRID)
    height, width = image.shape
    scanlines = b"".join(b"\x00" + image[y].tobytes() for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(scanlines, 9))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
