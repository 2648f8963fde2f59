"""The memory one avatar decode costs: each upload re-encoded in a fresh process, its peak
resident memory (Linux's ``VmHWM``, reset just before) over its resident memory before.

    python3 bench/avatar_memory.py

Writes bench/results/avatar_memory.md. The uploads are the costly shapes a client can send
small: large JPEGs, PNGs and WebPs of one colour with a patch of noise (tens of KB).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "avatar_memory.md"
CASES = {  # name: (format, side, mode)
    "JPEG 4096x4096": ("JPEG", 4096, "RGB"),
    "JPEG 2048x2048": ("JPEG", 2048, "RGB"),
    "PNG 2048x2048 RGBA": ("PNG", 2048, "RGBA"),
    "PNG 4096x4096 RGBA (over the cap)": ("PNG", 4096, "RGBA"),
    "WebP 2048x2048 RGBA": ("WEBP", 2048, "RGBA"),
}


def _kib(field: str) -> int:
    """A figure of /proc/self/status, in KiB (VmRSS: resident now; VmHWM: its peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def upload(fmt: str, side: int, mode: str) -> bytes:
    """The upload: one colour with a little noise, so that it compresses well but not away."""
    from PIL import Image

    image = Image.new(mode, (side, side), (200, 30, 30, 255)[:len(mode)])
    image.paste(Image.effect_noise((64, 64), 40).convert(mode), (0, 0))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def measure(path: str, old: bool) -> dict[str, object]:
    """In this (fresh) process: the upload's size, the outcome and the peak memory growth of
    one ``reencode``; ``old``: as before the bounds (4096² cap, no reduced decode)."""
    import django
    from django.conf import settings

    settings.configure(WXLOGIN={"AVATAR_MAX_PIXELS": 4096 * 4096, "AVATAR_MAX_SIDE": 1 << 30}
                       if old else {})
    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image  # noqa: F401  (imported before the baseline)

    from django_wxlogin import avatars

    data = Path(path).read_bytes()
    upload = SimpleUploadedFile(Path(path).name, data)
    Path("/proc/self/clear_refs").write_text("5")  # the high-water mark starts again here
    before = _kib("VmRSS")
    try:
        stored, _ = avatars.reencode(upload)
        outcome = f"stored {stored.size} bytes"
    except Exception as exc:  # the refusal is the figure
        outcome = f"refused ({type(exc).__name__})"
    after = _kib("VmHWM")
    return {"upload": len(data), "outcome": outcome, "mb": (after - before) / 1024}


def main() -> None:
    rows = ["| upload | bytes | before: 4096² cap, full-size decode | now: defaults |",
            "|---|---|---|---|"]
    directory = Path(tempfile.mkdtemp())
    for name, (fmt, side, mode) in CASES.items():
        path = directory / f"{side}-{mode}.{fmt.lower()}"
        path.write_bytes(upload(fmt, side, mode))
        figures = []
        for old in (True, False):
            code = (f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); "
                    "from bench.avatar_memory import measure; "
                    f"print(json.dumps(measure({str(path)!r}, old={old})))")
            done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True)
            figures.append(json.loads(done.stdout))
        rows.append(f"| {name} | {figures[1]['upload']} | "
                    + " | ".join(f"{f['mb']:.1f} MB, {f['outcome']}" for f in figures) + " |")
    RESULTS.write_text("# Memory of one avatar decode (peak resident memory growth)\n\n"
                       + "\n".join(rows) + "\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
