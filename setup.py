"""Declares the C twins; everything else about the package lives in pyproject.toml.

SIPFAST_PURE_PYTHON=1 at build time skips the extensions.  A failed C build is
not fatal: the package then installs with the pure-Python twins only, and says
so here and once more (as a warning) at import.
"""

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class BuildExt(build_ext):
    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler, no Cython: fall back
            print(f"sipfast: C twins not built ({exc}); pure-Python twins only", file=sys.stderr)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            print(f"sipfast: {ext.name} not built ({exc})", file=sys.stderr)
        else:
            print(f"sipfast: built C twin {ext.name}", file=sys.stderr)


def extensions() -> list:
    if os.environ.get("SIPFAST_PURE_PYTHON"):
        print("sipfast: SIPFAST_PURE_PYTHON set, building the pure-Python twins only", file=sys.stderr)
        return []
    from Cython.Build import cythonize

    flags = ["-O3", "-falign-functions=32", "-falign-loops=32"] if os.name != "nt" else []
    exts = [
        Extension("sipfast._parser_c", ["sipfast/_parser_c.pyx"], extra_compile_args=flags),
        Extension("sipfast._digest_c", ["sipfast/_digest_c.pyx"], extra_compile_args=flags),
    ]
    exts = [e for e in exts if os.path.exists(e.sources[0])]
    return cythonize(
        exts,
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False, "cdivision": True},
    )


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
