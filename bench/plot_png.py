#!/usr/bin/env python3
"""plot_png.py - a tiny PNG plotter in pure Python (zlib and struct only).

The GPU machine has no matplotlib, so the benchmark draws its one figure
itself: an RGB canvas with lines, rectangles and text in a built-in 5x7
bitmap font (upper case, digits, a little punctuation), written as a PNG.

    python3 plot_png.py results.json out.png   # the LC latency figure

lc_latency_figure() draws the latency distributions of the LC situations
side by side: their CDFs on a log time axis and box plots (box p25..p75,
bar at p50, whiskers p1..p99, dot at the maximum), and below them a linear
close-up of the CDFs near the reference situation with the targets marked.
"""

import json
import math
import struct
import sys
import zlib

# 5x7 glyphs: seven rows, each a 5-bit number whose bit 4 is the leftmost
# pixel, written as 14 hex digits. Lower case is drawn as upper case.
FONT = {
    "0": "0E11131519110E", "1": "040C040404040E", "2": "0E11010204081F",
    "3": "1F02040201110E", "4": "02060A121F0202", "5": "1F101E0101110E",
    "6": "0608101E11110E", "7": "1F010204080808", "8": "0E11110E11110E",
    "9": "0E11110F01020C", "A": "0E11111F111111", "B": "1E11111E11111E",
    "C": "0E11101010110E", "D": "1C12111111121C",
    "E": "1F10101E10101F", "F": "1F10101E101010", "G": "0E11101711110F",
    "H": "1111111F111111", "I": "0E04040404040E", "J": "0702020202120C",
    "K": "11121418141211", "L": "1010101010101F", "M": "111B1515111111",
    "N": "11111915131111", "O": "0E11111111110E", "P": "1E11111E101010",
    "Q": "0E11111115120D", "R": "1E11111E141211",
    "S": "0F10100E01011E", "T": "1F040404040404", "U": "1111111111110E",
    "V": "11111111110A04", "W": "1111111515150A", "X": "11110A040A1111",
    "Y": "1111110A040404", "Z": "1F01020408101F", ".": "00000000000C0C",
    "-": "0000001F000000", "%": "18190204081303", "/": "00010204081000",
    "(": "02040808080402", ")": "08040202020408", ":": "000C0C000C0C00",
    "_": "0000000000001F", "+": "0004041F040400", "=": "00001F001F0000",
    "<": "02040810080402", ">": "08040201020408", ",": "000000000C0408",
    ";": "000C0C000C0408", " ": "00000000000000",
}
UNKNOWN = "1F11111111111F"  # a box

WHITE, BLACK, GREY, LIGHT = (255, 255, 255), (0, 0, 0), (110, 110, 110), (225, 225, 225)
COLORS = [(40, 40, 40), (215, 40, 40), (240, 150, 20), (30, 90, 220), (40, 160, 60)]


class Canvas:
    def __init__(self, width, height, background=WHITE):
        self.width, self.height = width, height
        self.rows = [bytearray(bytes(background) * width) for _ in range(height)]

    def pixel(self, x, y, color):
        x, y = int(round(x)), int(round(y))
        if 0 <= x < self.width and 0 <= y < self.height:
            self.rows[y][3 * x:3 * x + 3] = bytes(color)

    def rect(self, x0, y0, x1, y1, color, fill=None):
        x0, x1 = sorted((int(round(x0)), int(round(x1))))
        y0, y1 = sorted((int(round(y0)), int(round(y1))))
        if fill is not None:
            for y in range(y0, y1 + 1):
                for x in range(x0, x1 + 1):
                    self.pixel(x, y, fill)
        for x in range(x0, x1 + 1):
            self.pixel(x, y0, color)
            self.pixel(x, y1, color)
        for y in range(y0, y1 + 1):
            self.pixel(x0, y, color)
            self.pixel(x1, y, color)

    def line(self, x0, y0, x1, y1, color, width=1):
        """Straight line, `width` pixels thick (a square pen)."""
        steps = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
        half = (width - 1) / 2.0
        for i in range(steps + 1):
            t = i / steps
            x, y = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
            for dx in range(width):
                for dy in range(width):
                    self.pixel(x - half + dx, y - half + dy, color)

    def polyline(self, points, color, width=1):
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            self.line(x0, y0, x1, y1, color, width)

    def text(self, x, y, s, color=BLACK, scale=2, align="left"):
        """Text with its top at y; x is its left, centre or right end."""
        w = text_width(s, scale)
        if align == "center":
            x -= w / 2
        elif align == "right":
            x -= w
        x, y = int(round(x)), int(round(y))
        for ch in s.upper():
            rows = FONT.get(ch, UNKNOWN)
            for r in range(7):
                bits = int(rows[2 * r:2 * r + 2], 16)
                for c in range(5):
                    if bits & (0x10 >> c):
                        for dy in range(scale):
                            for dx in range(scale):
                                self.pixel(x + c * scale + dx, y + r * scale + dy, color)
            x += 6 * scale

    def png(self):
        def chunk(kind, data):
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

        raw = b"".join(b"\x00" + bytes(row) for row in self.rows)  # filter 0 per row
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)  # 8-bit RGB
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))

    def save(self, path):
        with open(path, "wb") as f:
            f.write(self.png())


def text_width(s, scale=2):
    return 6 * scale * len(s) - scale if s else 0


def time_label(us):
    """1 -> '1US', 1000 -> '1MS', 1e6 -> '1S'."""
    for unit, size in (("S", 1e6), ("MS", 1e3), ("US", 1.0)):
        if us >= size:
            v = us / size
            return ("%g" % v) + unit
    return "%gUS" % us


def quantile(sorted_values, q):
    """Nearest rank, as the benchmark programs compute their percentiles."""
    n = len(sorted_values)
    rank = min(n, max(1, int(math.ceil(q * n - 1e-9))))
    return sorted_values[rank - 1]


class LogAxis:
    """Maps microseconds to pixels on a log10 scale over whole decades."""

    def __init__(self, values, p0, p1):
        lo = min(values) if values else 1.0
        hi = max(values) if values else 1000.0
        self.d0 = math.floor(math.log10(max(lo, 0.1)))
        self.d1 = max(self.d0 + 1, math.ceil(math.log10(max(hi, 0.1))))
        self.p0, self.p1 = p0, p1

    def __call__(self, us):
        f = (math.log10(max(us, 10.0 ** self.d0)) - self.d0) / (self.d1 - self.d0)
        return self.p0 + f * (self.p1 - self.p0)

    def decades(self):
        return [10.0 ** d for d in range(self.d0, self.d1 + 1)]


def nice_step(span, ticks=6):
    raw = span / ticks
    mag = 10.0 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)


def dashed_vline(cv, x, y0, y1, color):
    y = y0
    while y < y1:
        cv.line(x, y, x, min(y + 6, y1), color, 2)
        y += 12


def cdf_points(v, xmap, top, bottom, clip=None):
    """Step-free CDF polyline of sorted samples (at most ~1500 points)."""
    step = max(1, len(v) // 1500)
    pts = []
    for k in range(0, len(v), step):
        x = v[k] if clip is None else min(v[k], clip)
        pts.append((xmap(x), bottom - (bottom - top) * (k + 1) / len(v)))
    last = v[-1] if clip is None else min(v[-1], clip)
    pts.append((xmap(last), top))
    return pts


def y_fraction_axis(cv, left, right, top, bottom):
    for i in range(0, 11, 2):
        y = bottom - (bottom - top) * i / 10
        cv.line(left, y, right, y, LIGHT)
        cv.line(left - 5, y, left, y, BLACK)
        cv.text(left - 8, y - 7, "%.1f" % (i / 10), align="right")


def lc_latency_figure(series, path, title="LC REQUEST LATENCY", reference=None, marks=()):
    """series: [(label, [latency us, ...]), ...] -> a PNG at `path`.

    Top: CDFs on a log axis, and box plots. Bottom: the CDFs on a linear
    axis around `reference` (a label in series), leaving out series far
    slower than it, with a dashed line at reference p99 + each of `marks`
    (microseconds): where the targets are."""
    W, H = 1200, 1000
    cv = Canvas(W, H)
    cv.text(W / 2, 12, title, scale=3, align="center")
    present = [(label, sorted(v)) for label, v in series if v]
    everything = [x for _, v in present for x in v]
    color_of = {label: COLORS[i % len(COLORS)] for i, (label, _) in enumerate(series)}

    # Top left: CDFs, x = latency (log), y = fraction of requests.
    left, right, top, bottom = 80, 640, 70, 430
    ax = LogAxis(everything, left, right)
    for d in ax.decades():
        x = ax(d)
        cv.line(x, top, x, bottom, LIGHT)
        cv.line(x, bottom, x, bottom + 5, BLACK)
        cv.text(x, bottom + 10, time_label(d), align="center")
    y_fraction_axis(cv, left, right, top, bottom)
    cv.rect(left, top, right, bottom, BLACK)
    cv.text((left + right) / 2, bottom + 34, "LATENCY, ARRIVAL TO RESULT (LOG)", align="center")
    cv.text(left, top - 22, "FRACTION OF REQUESTS")
    for label, v in present:
        cv.polyline(cdf_points(v, ax, top, bottom), color_of[label], width=2)

    # Top right: box plots on a shared log axis.
    bl, br = 760, 1180
    ay = LogAxis(everything, bottom, top)
    for d in ay.decades():
        y = ay(d)
        cv.line(bl, y, br, y, LIGHT)
        cv.line(bl - 5, y, bl, y, BLACK)
        cv.text(bl - 8, y - 7, time_label(d), align="right")
    cv.rect(bl, top, br, bottom, BLACK)
    slot = (br - bl) / max(1, len(series))
    for i, (label, v) in enumerate(series):
        color = color_of[label]
        cx = bl + slot * (i + 0.5)
        cv.text(cx, bottom + 10, str(i + 1), color=color, align="center")
        if not v:
            cv.text(cx, (top + bottom) / 2, "NO DATA", color=GREY, scale=1, align="center")
            continue
        v = sorted(v)
        q = {p: ay(quantile(v, p)) for p in (0.01, 0.25, 0.5, 0.75, 0.99)}
        half = min(30, slot / 3)
        cv.line(cx, q[0.01], cx, q[0.25], color, 2)
        cv.line(cx, q[0.75], cx, q[0.99], color, 2)
        cv.line(cx - half / 2, q[0.01], cx + half / 2, q[0.01], color, 2)
        cv.line(cx - half / 2, q[0.99], cx + half / 2, q[0.99], color, 2)
        cv.rect(cx - half, q[0.75], cx + half, q[0.25], color, fill=WHITE)
        cv.line(cx - half, q[0.5], cx + half, q[0.5], color, 3)
        m = ay(v[-1])
        cv.rect(cx - 2, m - 2, cx + 2, m + 2, color, fill=color)
    cv.text((bl + br) / 2, bottom + 34, "BOX P25-P75, WHISKERS P1-P99", align="center")

    # Bottom: a linear close-up around the reference.
    ref = dict(present).get(reference)
    left, right, top, bottom = 80, 1180, 560, 880
    cv.rect(left, top, right, bottom, BLACK)
    if ref:
        ref_p99 = quantile(ref, 0.99)
        near = [(label, v) for label, v in present if quantile(v, 0.99) <= 5 * ref_p99]
        lo = min(quantile(v, 0.01) for _, v in near)
        hi = max([quantile(v, 0.99) for _, v in near] + [ref_p99 + m for m in marks])
        lo, hi = lo - 0.05 * (hi - lo), hi + 0.15 * (hi - lo)
        step = nice_step(hi - lo)
        xmap = lambda us: left + (min(max(us, lo), hi) - lo) / (hi - lo) * (right - left)
        t = math.ceil(lo / step) * step
        while t <= hi:
            cv.line(xmap(t), top, xmap(t), bottom, LIGHT)
            cv.line(xmap(t), bottom, xmap(t), bottom + 5, BLACK)
            cv.text(xmap(t), bottom + 10, "%g" % t, align="center")
            t += step
        y_fraction_axis(cv, left, right, top, bottom)
        cv.rect(left, top, right, bottom, BLACK)
        for m in marks:
            x = xmap(ref_p99 + m)
            dashed_vline(cv, x, top, bottom, GREY)
            cv.text(x + 4, top + 6, "%s P99 +%gUS" % (reference, m), color=GREY, scale=1)
        for label, v in near:
            cv.polyline(cdf_points(v, xmap, top, bottom, clip=hi), color_of[label], width=2)
        left_out = [label for label, v in present if (label, v) not in near]
        cv.text((left + right) / 2, bottom + 34, "LATENCY US, CLOSE-UP (LINEAR)%s" % (
            "; NOT SHOWN: " + ", ".join(left_out) if left_out else ""), align="center")
    else:
        cv.text((left + right) / 2, (top + bottom) / 2, "NO REFERENCE (%s) DATA" % reference,
                color=GREY, align="center")
    cv.text(left, top - 22, "FRACTION OF REQUESTS")

    # Legend, numbered like the boxes.
    y, x = 955, 80
    for i, (label, v) in enumerate(series):
        color = color_of[label]
        entry = "%d %s%s" % (i + 1, label, "" if v else " (NO DATA)")
        cv.line(x, y + 7, x + 24, y + 7, color, 3)
        cv.text(x + 30, y, entry, color=color)
        x += 30 + text_width(entry) + 40
    cv.save(path)


def main(argv):
    if len(argv) != 3:
        print("usage: plot_png.py results.json out.png", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        results = json.load(f)
    series = [(s.get("situation", "?"), s.get("samples_us") or [])
              for s in results.get("lc_latency", {}).get("situations", [])]
    lc_latency_figure(series, argv[2], reference="alone", marks=(10, 20))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
