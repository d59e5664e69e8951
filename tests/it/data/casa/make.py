#!/usr/bin/env python3
"""Write the small, real CASA tables the tests read (python-casacore; run once, commit output).

    python3 -m pip install python-casacore
    python3 tests/it/data/casa/make.py tests/it/data/casa

Each image is what tclean leaves for one MS, in miniature: 4 axes (RA, Dec, Stokes, Frequency in
casacore order), SIN projection with the direction in radians, a restoring beam in
`imageinfo`, units Jy/beam. The values are our own; the layout is casacore's. A casacore table
that is not an image (a calibration table) is written too. The tests never need Python: the
output directories are committed. Each image keeps its `logtable/` (casacore will not open an
image without it); its 32 KiB bucket is zeros and packs to a few hundred bytes in git.
"""

import math
import shutil
import sys
from pathlib import Path

import numpy as np
from casacore import images, tables


def image(path, *, ra_deg, dec_deg, cell_arcsec, bmaj, bmin, bpa, freq_hz, pixels, mjd, obj):
    path = Path(path)
    if path.exists():
        shutil.rmtree(path)
    # numpy order is casacore's reversed: (freq, stokes, dec, ra).
    shape = (1, 1, pixels, pixels)
    scratch = images.image(str(path), shape=shape)
    system = scratch.coordinates()
    coords = system.dict()
    del scratch
    shutil.rmtree(path)

    cell = math.radians(cell_arcsec / 3600.0)
    direction = coords["direction0"]
    direction["crval"] = np.array([math.radians(ra_deg), math.radians(dec_deg)])
    direction["cdelt"] = np.array([-cell, cell])
    direction["crpix"] = np.array([pixels / 2.0, pixels / 2.0])
    direction["units"] = ["rad", "rad"]
    direction["projection"] = "SIN"
    spectral = coords["spectral2"]
    spectral["wcs"]["crval"] = freq_hz
    spectral["wcs"]["cdelt"] = 1.875e8
    spectral["restfreq"] = freq_hz
    spectral["restfreqs"] = np.array([freq_hz])
    coords["telescope"] = "OVRO_MMA"
    coords["observer"] = "dsa110"
    coords["obsdate"]["m0"]["value"] = mjd

    rng = np.random.default_rng(int(ra_deg * 1000))
    values = rng.normal(0.0, 1e-3, size=shape).astype(np.float32)
    im = images.image(str(path), values=values, coordsys=type(system)(coords))
    del im

    t = tables.table(str(path), readonly=False, ack=False)
    t.putkeyword("units", "Jy/beam")
    t.putkeyword(
        "imageinfo",
        {
            "imagetype": "Intensity",
            "objectname": obj,
            "restoringbeam": {
                "major": {"value": bmaj, "unit": "arcsec"},
                "minor": {"value": bmin, "unit": "arcsec"},
                "positionangle": {"value": bpa, "unit": "deg"},
            },
        },
    )
    t.close()


def caltable(path):
    path = Path(path)
    if path.exists():
        shutil.rmtree(path)
    desc = tables.maketabdesc(
        [
            tables.makescacoldesc("TIME", 0.0),
            tables.makescacoldesc("ANTENNA1", 0),
        ]
    )
    t = tables.table(str(path), desc, nrow=2, ack=False)
    t.putcol("TIME", np.array([5.1e9, 5.1e9 + 300.0]))
    t.putcol("ANTENNA1", np.array([0, 1], dtype=np.int32))
    t.putinfo({"type": "Calibration", "subType": "B Jones", "readme": ""})
    t.close()


def main(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "2025-10-21T14:23:19"
    image(
        out / f"{stem}.img.image.pbcor",
        ra_deg=201.365, dec_deg=43.03, cell_arcsec=2.5,
        bmaj=15.0, bmin=11.0, bpa=-12.5, freq_hz=1.405e9,
        pixels=8, mjd=60969.59952546, obj=stem,
    )
    # A coarse image: 12" cells (beam/5 of a 60" beam), the top of the pipeline's range.
    image(
        out / "2025-10-22T02:10:44.img.image",
        ra_deg=35.25, dec_deg=-4.5, cell_arcsec=12.0,
        bmaj=60.0, bmin=45.0, bpa=30.0, freq_hz=1.4e9,
        pixels=4, mjd=60970.09078704, obj="2025-10-22T02:10:44",
    )
    caltable(out / f"{stem}.bcal")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent)
